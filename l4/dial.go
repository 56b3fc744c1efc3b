package l4

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

var errNoBackend = errors.New("no eligible backend")

// connect picks a member of p and dials it within the pool's connect timeout, trying up to
// p.Retries other members when a dial fails. On success the member is acquired (the caller
// releases it) and the outcome of every attempt has been reported with p.Done.
func connect(p *runtime.Pool, client netip.Addr) (*net.TCPConn, int, error) {
	req := newRequest(p, client)
	var errs []error
	for attempt := 0; attempt <= p.Retries; attempt++ {
		i := p.Acquire(&req)
		if i < 0 {
			errs = append(errs, errNoBackend)
			break
		}
		b, err := dial(p, i)
		if err == nil {
			return b, i, nil
		}
		p.Members[i].Release()
		req.Tried = append(req.Tried, i)
		errs = append(errs, err)
	}
	return nil, -1, errors.Join(errs...)
}

// newRequest starts a pick for a client; hash pools keyed on source_ip get its address as
// the key.
func newRequest(p *runtime.Pool, client netip.Addr) balance.Request {
	var req balance.Request
	p.SourceKey(&req, client)
	return req
}

// dial connects to member i and reports the attempt to the pool. The backend socket gets no
// TCP keep-alive (the listener's idle timeout closes dead peers), which saves four
// setsockopt(2) calls per connection. The address is dialled as a string: the
// netip.AddrPort dial (net.Dialer.DialTCP) binds the socket to 0.0.0.0:0 before connecting,
// one more syscall and an ephemeral port reserved for any destination.
func dial(p *runtime.Pool, i int) (*net.TCPConn, error) {
	timeout := p.Config.Timeouts.Connect.Duration
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: -1}
	start := time.Now()
	nc, err := d.DialContext(context.Background(), "tcp", p.Members[i].Address)
	now := time.Now()
	p.Done(i, err == nil, now.Sub(start), now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Members[i].Address, err)
	}
	return nc.(*net.TCPConn), nil
}
