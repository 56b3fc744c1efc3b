package epoll

import (
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Snapshots returns the snapshot in force; each connection keeps what it read at accept.
type Snapshots func() *runtime.Snapshot

// Stats are a listener's cumulative counters; the fields are those of l4.Stats, so one
// converts to the other.
type Stats struct {
	Accepted, Active, Refused, Failed uint64 // Failed: no backend could be reached
	HelloErrors                       uint64 // malformed, oversized or late ClientHello / PROXY header
	BytesIn, BytesOut                 uint64 // client→backend, backend→client
}

// counters are written by the loop goroutine only and read by Stats from any goroutine.
type counters struct {
	accepted, refused, failed, helloErrors, bytesIn, bytesOut atomic.Uint64
	active                                                    atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{Accepted: c.accepted.Load(), Active: uint64(max(c.active.Load(), 0)), Refused: c.refused.Load(),
		Failed: c.failed.Load(), HelloErrors: c.helloErrors.Load(), BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load()}
}

// Observer is told about each finished connection (metrics.Metrics implements it); it is
// l4.Observer's method set: status, ttfb and retries are 0 for layer 4.
type Observer interface {
	Request(listener, route, pool, backend string, status int, ttfb, total time.Duration, retries int)
	Transferred(listener, pool string, in, out int64)
}
