package l4

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/runtime"
)

// conn is one forwarded connection. client is set at creation; backend is set once the
// dial succeeds. close may be called from any goroutine, any number of times.
type conn struct {
	client  *net.TCPConn
	backend atomic.Pointer[net.TCPConn]
	start   time.Time
	in      int64 // bytes client→backend, written by copyIn before wg.Done

	idle    time.Duration  // set by pipe before it stores checkAt; read-only after
	checkAt atomic.Int64   // UnixNano of the next idle check; never until forwarding
	ended   atomic.Int32   // directions that ended at a clean EOF
	wg      sync.WaitGroup // pipe's client→backend goroutine

	prev, next *conn // in Stream.conns, guarded by Stream.mu
}

func (c *conn) close() {
	c.client.Close()
	if b := c.backend.Load(); b != nil {
		b.Close()
	}
}

// origin is where a connection comes from and what it asked for, learnt before forwarding.
type origin struct {
	src, dst netip.AddrPort // the real client and the address it reached (from PROXY if any)
	sni      string
	pending  []byte // bytes read from the client that the backend must receive first
}

var errNoRoute = errors.New("no route")

// handle forwards one accepted connection from start to end; Serve has counted it active.
func (s *Stream) handle(nc net.Conn) {
	defer s.giveSlot()
	client, ok := nc.(*net.TCPConn)
	if !ok {
		nc.Close()
		s.stats.active.Add(-1)
		return
	}
	c := &conn{client: client, start: time.Now()}
	c.checkAt.Store(never)
	s.track(c)
	defer func() { c.close(); s.untrack(c); s.stats.active.Add(-1) }()
	if s.aborted.Load() {
		return // accepted as the drain ended: closeAll may have run before track
	}
	snap := s.snaps()
	l := snap.Listeners[s.name]
	if l == nil {
		return
	}
	s.serve(c, l)
}

func (s *Stream) serve(c *conn, l *runtime.Listener) {
	buf := getBuffer()
	defer putBuffer(buf)
	o, err := s.prelude(c.client, l, buf)
	if err != nil {
		s.reject(c, err)
		return
	}
	r := s.route(l, o.sni, o.src.Addr())
	if r == nil {
		s.stats.refused.Add(1)
		s.logger.Info("l4: no route", "listener", s.name, "client", o.src, "sni", o.sni)
		return
	}
	s.forward(c, r, l, o, buf)
}

// reject counts and logs a connection closed before forwarding.
func (s *Stream) reject(c *conn, err error) {
	if errors.Is(err, errUntrusted) {
		s.stats.refused.Add(1)
	} else {
		s.stats.helloErrors.Add(1)
	}
	s.logger.Info("l4: connection closed before forwarding", "listener", s.name, "client", c.client.RemoteAddr(), "err", err)
}

// forward connects to a backend of p, replays what was read, and splices until both
// directions end or the idle timeout fires.
func (s *Stream) forward(c *conn, r *runtime.Route, l *runtime.Listener, o origin, buf *[]byte) {
	p := r.Pool
	b, i, err := connect(p, o.src.Addr())
	if err != nil {
		s.stats.failed.Add(1)
		s.logger.Info("l4: no backend reachable", "listener", s.name, "pool", p.Name, "err", err)
		s.record(c, o, r, "", 0, 0, err)
		return
	}
	m := &p.Members[i]
	defer m.Release()
	c.backend.Store(b)
	if s.aborted.Load() {
		c.close() // the drain's closeAll may have run before the backend was stored
	}
	if err := writePreamble(b, p, o, buf); err != nil {
		s.record(c, o, r, m.Address, 0, 0, err)
		return
	}
	in, out := s.pipe(c, idleTimeout(l))
	s.record(c, o, r, m.Address, in, out, nil)
}

// record tells the Observer and the access log about one finished connection.
func (s *Stream) record(c *conn, o origin, r *runtime.Route, backend string, in, out int64, err error) {
	total := time.Since(c.start)
	if s.Observer != nil {
		s.Observer.Request(s.name, r.Name, r.Pool.Name, backend, 0, 0, total, 0)
		s.Observer.Transferred(s.name, r.Pool.Name, in, out)
	}
	if e := s.AccessLog.Start(); e != nil {
		e.Time, e.Client, e.Listener, e.Route, e.Pool, e.Backend = c.start, o.src.String(), s.name, r.Name, r.Pool.Name, backend
		e.BytesIn, e.BytesOut, e.Total = in, out, total
		if err != nil {
			e.Error = err.Error()
		}
		s.AccessLog.Log(e)
	}
}

// idleTimeout is the listener's idle timeout, 90 s by default.
func idleTimeout(l *runtime.Listener) time.Duration {
	if d := l.Config.Timeouts.Idle.Duration; d > 0 {
		return d
	}
	return 90 * time.Second
}

// idleTimeout is the idle timeout of the listener in force now (90 s if it is gone).
func (s *Stream) idleTimeout() time.Duration {
	if snap := s.snaps(); snap != nil {
		if l := snap.Listeners[s.name]; l != nil {
			return idleTimeout(l)
		}
	}
	return 90 * time.Second
}
