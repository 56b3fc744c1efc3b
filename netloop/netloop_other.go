//go:build !linux

package netloop

import (
	"context"
	"errors"
	"net"
	"time"
)

// Supported reports whether this system has the poller (Linux).
const Supported = false

var errUnsupported = errors.New("netloop: not supported on this system")

// Poller is not available on this system.
type Poller struct{}

// Default fails on this system.
func Default() (*Poller, error) { return nil, errUnsupported }

// Listener is not available on this system.
type Listener struct{ net.Listener }

// DelayACKs does nothing on this system.
func (l *Listener) DelayACKs() error { return nil }

// Listen reports that ln must be used as it is.
func Listen(*Poller, net.Listener) (*Listener, bool) { return nil, false }

// Dialer dials with the net package on this system.
type Dialer struct {
	Poller  *Poller
	Timeout time.Duration
}

func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return (&net.Dialer{Timeout: d.Timeout}).DialContext(ctx, network, address)
}
