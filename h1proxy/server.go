package h1proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/netloop"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Snapshots returns the snapshot in force; each request keeps the one it started with.
type Snapshots func() *runtime.Snapshot

// Observer receives one call per proxied request; metrics.Metrics implements it (the same
// contract as l7.Observer). status is 0 when no backend answered; backend is "" when none was
// picked. It is called on the connection's goroutine and must not block.
type Observer interface {
	Request(listener, route, pool, backend string, status int, ttfb, total time.Duration, retries int)
}

// Server serves one HTTP/1.1 listener.
//
// Concurrency: name, snaps, logger and backends are immutable after New; Observer is set
// before Serve; mu guards ln and conns; closing is read lock-free by connections.
type Server struct {
	name     string
	snaps    Snapshots
	logger   *slog.Logger
	backends backendPools

	// Observer, when set before Serve, is told about every proxied request.
	Observer Observer
	// AccessLog, when set before Serve, gets one line per proxied request (sampled).
	AccessLog *accesslog.Logger
	// H2C, when set before Serve, takes over a connection that opens with the HTTP/2
	// connection preface (h2c with prior knowledge); the bytes read so far are replayed to it.
	// It runs on the connection's goroutine and owns the connection. Nil: such a connection
	// is refused like any malformed request.
	H2C func(net.Conn)

	series  memo[seriesKey, *metrics.Series]
	closing atomic.Bool
	// accepting counts Serve loops running; Shutdown waits for them before draining.
	accepting sync.WaitGroup
	buffered  atomic.Int64 // connections holding buffers (serving a request)
	mu        sync.Mutex
	ln        net.Listener
	conns     map[*clientConn]struct{}
	drained   chan struct{} // closed when conns becomes empty while closing
}

// New returns a server for the listener called name. It does no I/O; call Serve.
func New(name string, snaps Snapshots, logger *slog.Logger) *Server {
	return &Server{name: name, snaps: snaps, logger: logger, conns: make(map[*clientConn]struct{})}
}

// Serve accepts connections on ln until Shutdown; it returns nil after a graceful shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	ln = s.Listen(ln)
	s.ln = ln
	s.accepting.Add(1)
	defer s.accepting.Done()
	s.mu.Unlock()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			if backoff = nextBackoff(backoff); isTemporary(err) {
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.start(c)
	}
}

// Listen returns ln wrapped so that its connections run on the netloop poller, or ln itself
// when it is not a TCP listener or the system has no poller (the runtime's netpoller serves
// them then). Serve calls it; call it first to put a wrapper (a connection limit) around the
// result.
func (s *Server) Listen(ln net.Listener) net.Listener {
	p := s.backends.poller()
	if _, done := ln.(*netloop.Listener); done || p == nil {
		return ln
	}
	if l, ok := netloop.Listen(p, ln); ok {
		l.DelayACKs() // an answer carries its request's ACK; failing, it costs a segment
		return l
	}
	return ln
}

// nextBackoff doubles the pause after a failed Accept, from 5ms up to 1s.
func nextBackoff(d time.Duration) time.Duration {
	return min(max(2*d, 5*time.Millisecond), time.Second)
}

// isTemporary reports an Accept error worth waiting out (EMFILE, ECONNABORTED, ...): any
// error but a closed listener.
func isTemporary(err error) bool { return !errors.Is(err, net.ErrClosed) }

// start registers a connection and serves it on its own goroutine.
func (s *Server) start(c net.Conn) {
	cc := newClientConn(s, c)
	s.mu.Lock()
	s.conns[cc] = struct{}{} // even while closing: the client is already connected
	s.mu.Unlock()
	if !netloop.Start(c, cc.serve) { // on netloop: the first request is served right here
		go cc.serve()
	}
}

// Buffered returns how many connections hold read and write buffers at the moment: those
// serving a request. Idle keep-alive connections hold none.
func (s *Server) Buffered() int64 { return s.buffered.Load() }

// forget removes a finished connection.
func (s *Server) forget(cc *clientConn) {
	s.mu.Lock()
	delete(s.conns, cc)
	if len(s.conns) == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
	s.mu.Unlock()
}

// Shutdown stops accepting, closes idle keep-alive connections, lets in-flight requests finish
// (their connections close after the response) until ctx ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopAccepting(ctx)
	s.mu.Lock()
	var drained chan struct{}
	if len(s.conns) > 0 {
		drained = make(chan struct{})
		s.drained = drained
	}
	s.mu.Unlock()
	defer s.backends.closeIdle()
	if drained == nil {
		return nil
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		s.closeAll()
		return ctx.Err()
	}
}

// StopAccepting closes the listener and returns once Serve has returned (or after a second),
// so that a client connecting afterwards to a socket this server shared with a successor is
// the successor's; it also closes the keep-alive connections waiting between requests, whose
// clients then reconnect to the successor. From then on connections end after their current
// request; Shutdown does the rest of the drain.
func (s *Server) StopAccepting() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.stopAccepting(ctx)
}

// stopAccepting closes the listener, waits for the accept loop until ctx ends, and closes the
// idle keep-alive connections.
func (s *Server) stopAccepting(ctx context.Context) {
	s.mu.Lock()
	s.closing.Store(true)
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	s.waitAcceptLoop(ctx) // connections it accepted before the close are served, not dropped
	s.mu.Lock()
	for cc := range s.conns {
		cc.closeIfIdle()
	}
	s.mu.Unlock()
}

// waitAcceptLoop waits until Serve has returned, or ctx ends.
func (s *Server) waitAcceptLoop(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.accepting.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for cc := range s.conns {
		cc.c.Close()
	}
}
