package h1

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// Dialer opens connections to backends; *net.Dialer satisfies it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// BackendConn is one connection to a backend with its buffers. One request/response exchange
// owns it at a time: take it with Pool.Get, give it back with Pool.Put when the response was
// read to its end and allowed reuse, or Close it otherwise.
type BackendConn struct {
	net.Conn
	Addr string        // the address it was dialed with, the pool key
	R    *bufio.Reader // read responses from here, never from Conn directly
	W    *bufio.Writer // write requests here, then Flush

	sock     *SocketIO // what R and W read and write
	deadline int64     // unix nanoseconds of the read deadline set by ExtendReadDeadline; 0 none
	home     *addrPool // where Put keeps it
}

// ExtendReadDeadline makes sure the connection's read deadline is at least timeout after now
// and at most timeout/8 later than that. SetReadDeadline costs a runtime timer update, so a
// busy connection touches it once per timeout/8 instead of once per request. Only the
// exchange owning the connection may call it.
func (c *BackendConn) ExtendReadDeadline(now time.Time, timeout time.Duration) {
	n, t := now.UnixNano(), int64(timeout)
	if left := c.deadline - n; left >= t && left <= t+t/8 {
		return
	}
	c.deadline = n + t + t/8
	c.SetReadDeadline(time.Unix(0, c.deadline))
}

// ClearReadDeadline removes the read deadline (a tunnel has none).
func (c *BackendConn) ClearReadDeadline() {
	c.deadline = 0
	c.SetReadDeadline(time.Time{})
}

// PoolConfig configures a Pool. Zero fields take defaults.
type PoolConfig struct {
	Dialer         Dialer           // default: &net.Dialer{Timeout: 5 * time.Second}
	MaxIdlePerAddr int              // idle connections kept per backend; default 32
	IdleTimeout    time.Duration    // an idle connection older than this is closed; default 60s
	BufferSize     int              // size of W, and of R unless ReadBufferSize is set; default 16 KiB
	ReadBufferSize int              // size of R; default BufferSize. Larger means fewer reads of large bodies
	Now            func() time.Time // clock; default time.Now
	// TrustIdle skips the liveness check (one MSG_PEEK recv) on a connection idle for less
	// than this: a backend rarely closes a keep-alive connection it used that recently, and a
	// busy proxy saves a syscall per request. 0 checks every reuse.
	TrustIdle time.Duration
}

// Pool keeps idle keep-alive connections to backends, keyed by address, most recently used
// first. It runs no goroutine: expired connections are closed when Get meets them.
// A Pool is safe for concurrent use; Get and Put take a per-address mutex for a few
// instructions, never across I/O other than closing a discarded connection.
type Pool struct {
	cfg   PoolConfig
	addrs sync.Map // string → *addrPool
	// readers and writers lend buffers to the connections in use, so an idle connection holds
	// none (80 KiB each otherwise).
	readers, writers sync.Pool
}

type addrPool struct {
	mu   sync.Mutex // guards idle
	idle []idleConn // oldest first
}

type idleConn struct {
	c     *BackendConn
	since time.Time
}

// NewPool returns an empty pool; it does no I/O.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.Dialer == nil {
		cfg.Dialer = &net.Dialer{Timeout: 5 * time.Second}
	}
	cfg.MaxIdlePerAddr = orDefault(cfg.MaxIdlePerAddr, 32)
	cfg.BufferSize = orDefault(cfg.BufferSize, DefaultMaxHeadBytes)
	cfg.ReadBufferSize = orDefault(cfg.ReadBufferSize, cfg.BufferSize)
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Pool{cfg: cfg}
	p.readers.New = func() any { return bufio.NewReaderSize(nil, p.cfg.ReadBufferSize) }
	p.writers.New = func() any { return bufio.NewWriterSize(nil, p.cfg.BufferSize) }
	return p
}

// lend gives c buffers for an exchange.
func (p *Pool) lend(c *BackendConn) *BackendConn {
	c.R = p.readers.Get().(*bufio.Reader)
	c.R.Reset(c.sock)
	c.W = p.writers.Get().(*bufio.Writer)
	c.W.Reset(c.sock)
	return c
}

// takeBack takes c's buffers back; they hold nothing (see PutAt).
func (p *Pool) takeBack(c *BackendConn) {
	c.R.Reset(nil)
	c.W.Reset(nil)
	p.readers.Put(c.R)
	p.writers.Put(c.W)
	c.R, c.W = nil, nil
}

// Get returns an idle connection to addr that is still open, or dials a new one. reused tells
// which: a request on a reused connection may fail because the backend closed it meanwhile,
// and only an idempotent request should then be retried.
func (p *Pool) Get(ctx context.Context, addr string) (c *BackendConn, reused bool, err error) {
	return p.GetAt(ctx, addr, p.cfg.Now())
}

// GetAt is Get for a caller that has read the clock already: now is the time of the call.
func (p *Pool) GetAt(ctx context.Context, addr string, now time.Time) (c *BackendConn, reused bool, err error) {
	ap := p.addrPool(addr)
	for {
		c, since := ap.popIdle(now.Add(-p.cfg.IdleTimeout))
		if c == nil {
			break
		}
		if p.cfg.TrustIdle > 0 && now.Sub(since) < p.cfg.TrustIdle {
			return p.lend(c), true, nil
		}
		if !unusable(c.Conn) {
			return p.lend(c), true, nil
		}
		c.Close()
		now = p.cfg.Now() // the check took time
	}
	conn, err := p.cfg.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	return p.lend(&BackendConn{Conn: conn, Addr: addr, home: ap, sock: NewSocketIO(conn)}), false, nil
}

// addrPool returns the idle list of addr, making it on first use.
func (p *Pool) addrPool(addr string) *addrPool {
	v, ok := p.addrs.Load(addr)
	if !ok {
		v, _ = p.addrs.LoadOrStore(addr, &addrPool{})
	}
	return v.(*addrPool)
}

// popIdle takes the most recently used idle connection, closing those idle since before
// deadline on the way.
func (ap *addrPool) popIdle(deadline time.Time) (*BackendConn, time.Time) {
	ap.mu.Lock()
	expired := ap.dropExpired(deadline)
	var c *BackendConn
	var since time.Time
	if n := len(ap.idle); n > 0 {
		c, since = ap.idle[n-1].c, ap.idle[n-1].since
		ap.idle = ap.idle[:n-1]
	}
	ap.mu.Unlock()
	closeAll(expired)
	return c, since
}

// dropExpired removes the idle connections that went idle before deadline and returns them.
// The caller holds ap.mu.
func (ap *addrPool) dropExpired(deadline time.Time) []idleConn {
	n := 0
	for n < len(ap.idle) && ap.idle[n].since.Before(deadline) {
		n++
	}
	if n == 0 {
		return nil
	}
	expired := append([]idleConn(nil), ap.idle[:n]...)
	ap.idle = append(ap.idle[:0], ap.idle[n:]...)
	return expired
}

func closeAll(conns []idleConn) {
	for _, ic := range conns {
		ic.c.Close()
	}
}

// Put returns a connection for reuse after a complete exchange. When the address already keeps
// MaxIdlePerAddr idle connections, the oldest is closed. A connection with bytes still
// buffered (the backend sent more than the response) is closed instead of kept.
func (p *Pool) Put(c *BackendConn) { p.PutAt(c, p.cfg.Now()) }

// PutAt is Put for a caller that has read the clock already: now, the time the connection
// became idle (a little early is fine: it is only closed a little sooner).
func (p *Pool) PutAt(c *BackendConn, now time.Time) {
	ap := c.home
	if ap == nil {
		ap = p.addrPool(c.Addr)
	}
	if c.R.Buffered() != 0 || c.W.Buffered() != 0 {
		c.Close()
		return
	}
	p.takeBack(c)
	ap.mu.Lock()
	var evicted *BackendConn
	if len(ap.idle) >= p.cfg.MaxIdlePerAddr {
		evicted = ap.idle[0].c
		ap.idle = append(ap.idle[:0], ap.idle[1:]...)
	}
	ap.idle = append(ap.idle, idleConn{c: c, since: now})
	ap.mu.Unlock()
	if evicted != nil {
		evicted.Close()
	}
}

// IdleCount returns how many idle connections the pool keeps for addr.
func (p *Pool) IdleCount(addr string) int {
	v, ok := p.addrs.Load(addr)
	if !ok {
		return 0
	}
	ap := v.(*addrPool)
	ap.mu.Lock()
	defer ap.mu.Unlock()
	return len(ap.idle)
}

// CloseIdle closes every idle connection, for shutdown or when a backend leaves.
func (p *Pool) CloseIdle() {
	p.addrs.Range(func(_, v any) bool {
		ap := v.(*addrPool)
		ap.mu.Lock()
		idle := ap.idle
		ap.idle = nil
		ap.mu.Unlock()
		closeAll(idle)
		return true
	})
}
