package l4

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Snapshots returns the snapshot in force; each connection keeps the one it started with.
type Snapshots func() *runtime.Snapshot

// Mode says what a stream listener reads before forwarding.
type Mode int

// Stream listener modes.
const (
	TCP Mode = iota // forward bytes as they come; route to the listener's default route
	TLS             // peek the ClientHello and route on its server name
)

// Stream serves one tcp or tls listener. Create it with NewStream; Serve and Shutdown may
// be called from different goroutines. Counters are atomics, readable any time with Stats.
type Stream struct {
	name   string
	mode   Mode
	snaps  Snapshots
	logger *slog.Logger
	dialer net.Dialer

	stats counters

	slots     chan struct{} // listener max_connections; nil = no cap
	closing   atomic.Bool   // Shutdown has begun: stop accepting; accepted connections are still served
	aborted   atomic.Bool   // the drain is over: every connection is being closed
	done      chan struct{} // closed by Shutdown
	closeOnce sync.Once
	served    chan struct{} // closed when Serve returns

	clock atomic.Int64 // UnixNano, advanced by the idle sweep; coarse "now" for checkAt

	// Observer and AccessLog, when set before Serve, hear about every finished connection.
	Observer  Observer
	AccessLog *accesslog.Logger

	mu    sync.Mutex // guards ln, conns and every conn's prev and next
	ln    net.Listener
	conns *conn // open connections, an intrusive list (for Shutdown and the idle sweep)
}

// Observer is told about each finished connection (metrics.Metrics implements it): status,
// ttfb and retries are 0 for layer 4.
type Observer interface {
	Request(listener, route, pool, backend string, status int, ttfb, total time.Duration, retries int)
	Transferred(listener, pool string, in, out int64)
}

// Stats are a stream listener's cumulative counters.
type Stats struct {
	Accepted, Active, Refused, Failed uint64 // Failed: no backend could be reached
	HelloErrors                       uint64 // malformed, oversized or late ClientHello / PROXY header
	BytesIn, BytesOut                 uint64 // client→backend, backend→client
}

type counters struct {
	accepted, refused, failed, helloErrors, bytesIn, bytesOut atomic.Uint64
	active                                                    atomic.Int64
}

// NewStream returns a stream service for the listener called name. It does no I/O.
func NewStream(name string, mode Mode, snaps Snapshots, logger *slog.Logger) *Stream {
	s := &Stream{name: name, mode: mode, snaps: snaps, logger: logger, done: make(chan struct{}), served: make(chan struct{})}
	if l := snaps().Listeners[name]; l != nil && l.Config.MaxConnections > 0 {
		s.slots = make(chan struct{}, l.Config.MaxConnections)
	}
	s.clock.Store(time.Now().UnixNano())
	return s
}

// Stats returns the counters.
func (s *Stream) Stats() Stats {
	c := &s.stats
	return Stats{Accepted: c.accepted.Load(), Active: uint64(max(c.active.Load(), 0)), Refused: c.refused.Load(),
		Failed: c.failed.Load(), HelloErrors: c.helloErrors.Load(), BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load()}
}

// Serve accepts connections on ln until Shutdown, forwarding each in its own goroutine. It
// returns nil after Shutdown, or the accept error that stopped it. Call it once.
func (s *Stream) Serve(ln net.Listener) error {
	defer close(s.served)
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	if s.closing.Load() {
		ln.Close()
	}
	go s.sweepIdle(sweepPeriod(s.idleTimeout()))
	for s.takeSlot() {
		c, err := ln.Accept()
		if err != nil {
			s.giveSlot()
			if s.closing.Load() {
				return nil
			}
			if isTemporary(err) {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		s.stats.accepted.Add(1)
		s.stats.active.Add(1) // counted before handle runs, so that a drain waits for it
		go s.handle(c)
	}
	return nil
}

// takeSlot blocks while the listener is at max_connections, leaving new clients in the
// kernel's accept backlog.
// It reports false once Shutdown has begun.
func (s *Stream) takeSlot() bool {
	if s.slots == nil {
		return true
	}
	select {
	case s.slots <- struct{}{}:
		return true
	case <-s.done:
		return false
	}
}

func (s *Stream) giveSlot() {
	if s.slots != nil {
		<-s.slots
	}
}

func isTemporary(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles)
}

// Shutdown stops accepting, lets open connections finish until ctx ends, then closes them
// and returns ctx's error.
func (s *Stream) Shutdown(ctx context.Context) error {
	s.stopAccepting()
	return s.drain(ctx)
}

// StopAccepting closes the listener and returns once Serve has returned (or after a second),
// so that a client connecting afterwards to a socket this service shared with a successor (a
// reload's handover) is the successor's. Connections already accepted go on; Shutdown drains
// them.
func (s *Stream) StopAccepting() {
	s.stopAccepting()
	s.mu.Lock()
	serving := s.ln != nil
	s.mu.Unlock()
	if !serving {
		return
	}
	select {
	case <-s.served:
	case <-time.After(time.Second):
	}
}

func (s *Stream) stopAccepting() {
	s.closing.Store(true)
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
}

func (s *Stream) drain(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for s.stats.active.Load() > 0 {
		select {
		case <-ctx.Done():
			s.aborted.Store(true)
			s.closeAll()
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

func (s *Stream) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := s.conns; c != nil; c = c.next {
		c.close()
	}
}

// track puts c at the head of the open connections.
func (s *Stream) track(c *conn) {
	s.mu.Lock()
	c.next = s.conns
	if c.next != nil {
		c.next.prev = c
	}
	s.conns = c
	s.mu.Unlock()
}

// untrack unlinks c from the open connections.
func (s *Stream) untrack(c *conn) {
	s.mu.Lock()
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		s.conns = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
	s.mu.Unlock()
}
