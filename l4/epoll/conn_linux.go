package epoll

import (
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/l4/proxyproto"
	"github.com/fulcrum-lb/fulcrum/rawsock"
	"github.com/fulcrum-lb/fulcrum/route"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// phase is where a connection is in its life.
type phase uint8

const (
	greeting   phase = iota // reading the PROXY header and/or ClientHello (see prelude_linux.go)
	dialing                 // waiting in loop.dialing for a (new) backend connect
	connecting              // the backend connect is in flight
	forwarding              // bytes flow both ways
)

// side is one socket of a connection and what epoll last said about it. Readiness is
// remembered (edge-triggered) and cleared when a call returns EAGAIN or a read comes back
// short.
type side struct {
	fd                 int // -1 when none
	readable, writable bool
	rdhup              bool // the peer shut its write half: a short read is the end
}

// note records an event's readiness.
func (s *side) note(ev uint32) {
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		s.readable = true
	}
	if ev&unix.EPOLLRDHUP != 0 {
		s.rdhup = true
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		s.writable = true
	}
}

// conn is one forwarded connection, owned by the loop goroutine. Structs are recycled.
type conn struct {
	client, backend side
	in, out         direction // in: client→backend; out: backend→client
	phase           phase

	listener  *runtime.Listener // the snapshot's listener at accept
	route     *runtime.Route
	pool      *runtime.Pool
	member    int    // acquired member of pool; -1 for none
	backendAt string // the member's address once connected, for the record
	start     time.Time
	req       balance.Request
	attempts  int
	dialStart time.Time
	err       error          // the last connect failure, for the log
	failed    bool           // no backend could be reached
	src, dst  netip.AddrPort // the real client and the address it reached (from PROXY if any; dst may be unset)

	idle       int64 // idle timeout, ns
	lastActive int64 // loop time of the last data received on either side

	due          int64 // timer wheel: when the entry is due; see wheel
	scheduled    bool
	wprev, wnext *conn
	slot         int
}

// newConn returns a reset connection, recycled when one is free.
func (l *loop) newConn() *conn {
	var c *conn
	if n := len(l.free); n > 0 {
		c, l.free = l.free[n-1], l.free[:n-1]
	} else {
		c = new(conn)
	}
	c.client.fd, c.backend.fd, c.member = -1, -1, -1
	return c
}

// recycle resets c, keeping its buffers' capacity, and puts it on the free list.
func (l *loop) recycle(c *conn) {
	*c = conn{req: balance.Request{Tried: c.req.Tried[:0]},
		in: direction{pend: c.in.pend[:0]}, out: direction{pend: c.out.pend[:0]}}
	l.free = append(l.free, c)
}

func (l *loop) track(fd int, c *conn) {
	for fd >= len(l.byFD) {
		l.byFD = append(l.byFD, nil)
	}
	l.byFD[fd] = c
}

// forget closes s's socket, if any.
func (l *loop) forget(s *side) {
	if s.fd >= 0 {
		l.byFD[s.fd] = nil
		rawsock.Close(s.fd)
	}
	*s = side{fd: -1}
}

// admit takes an accepted client: a connection that owes a prelude (PROXY header,
// ClientHello) waits for it; any other is routed and connected at once.
func (l *loop) admit(fd int, src netip.AddrPort) {
	ls := l.s.snaps().Listeners[l.s.name]
	if ls == nil {
		l.noRoute(fd, src, "")
		return
	}
	if needsProxyHeader(ls) && !ls.Trusted(src.Addr()) {
		l.s.stats.refused.Add(1)
		l.s.logger.Info("l4: connection closed before forwarding", "listener", l.s.name, "client", src, "err", errUntrusted)
		rawsock.Close(fd)
		return
	}
	if !needsPrelude(ls) {
		l.admitRouted(fd, src, ls)
		return
	}
	if c := l.open1(fd, src, ls); c != nil {
		l.awaitPrelude(c)
	}
}

// admitRouted routes a client that owes no prelude and connects it.
func (l *loop) admitRouted(fd int, src netip.AddrPort, ls *runtime.Listener) {
	r := ls.Route(route.Conn{Addr: src.Addr()})
	if r == nil || r.Pool == nil {
		l.noRoute(fd, src, "")
		return
	}
	if c := l.open1(fd, src, ls); c != nil {
		l.routeTo(c, r)
		l.connect(c)
	}
}

// noRoute refuses a client no route takes: counted, logged, and its socket closed.
func (l *loop) noRoute(fd int, src netip.AddrPort, serverName string) {
	l.s.stats.refused.Add(1)
	l.s.logger.Info("l4: no route", "listener", l.s.name, "client", src, "sni", serverName)
	rawsock.Close(fd)
}

// open1 registers an accepted client and counts it open; nil (the socket closed) when epoll
// refuses it.
func (l *loop) open1(fd int, src netip.AddrPort, ls *runtime.Listener) *conn {
	if err := l.watch(fd, connFlags); err != nil {
		l.s.logger.Warn("l4 epoll: epoll_ctl", "listener", l.s.name, "err", err)
		rawsock.Close(fd)
		return nil
	}
	c := l.newConn()
	c.client.fd, c.src, c.listener = fd, src, ls
	if l.s.Observer != nil || l.s.AccessLog != nil {
		c.start = time.Now()
	}
	c.idle = int64(idleTimeout(ls.Config.Timeouts.Idle.Duration))
	l.track(fd, c)
	l.open++
	l.s.stats.active.Add(1)
	return c
}

// routeTo sends c to route r, whose pool must not be nil, keyed by the real client.
func (l *loop) routeTo(c *conn, r *runtime.Route) {
	c.route, c.pool = r, r.Pool
	r.Pool.SourceKey(&c.req, c.src.Addr())
	c.phase = dialing
}

// connect picks members and starts connects until one is in flight, trying up to
// pool.Retries other members after a failure; with none left it closes c.
func (l *loop) connect(c *conn) {
	for c.attempts <= c.pool.Retries {
		i := c.pool.Acquire(&c.req)
		if i < 0 {
			c.err = errNoBackend
			break
		}
		c.attempts++
		c.member = i
		err := l.dial(c)
		if err == nil {
			return
		}
		l.dialFailed(c, err)
	}
	l.s.stats.failed.Add(1)
	l.s.logger.Info("l4: no backend reachable", "listener", l.s.name, "pool", c.pool.Name, "err", c.err)
	c.failed = true
	l.close(c)
}

// dial starts a non-blocking connect to c's member and registers the socket; EPOLLOUT
// tells the outcome (see ready).
func (l *loop) dial(c *conn) error {
	c.dialStart = time.Now()
	ap, err := netip.ParseAddrPort(c.pool.Members[c.member].Address)
	if err != nil {
		return errNotIP
	}
	fd, err := rawsock.DialSocket(ap)
	if err != nil {
		return err
	}
	if err := l.watch(fd, connFlags); err != nil {
		rawsock.Close(fd)
		return err
	}
	c.backend = side{fd: fd}
	l.track(fd, c)
	c.phase = connecting
	l.wheel.add(c, l.now+int64(connectTimeout(c.pool)))
	return nil
}

// dialFailed reports a failed attempt and releases its member, which is not tried again.
func (l *loop) dialFailed(c *conn, err error) {
	now := time.Now()
	c.pool.Done(c.member, false, now.Sub(c.dialStart), now.UnixNano())
	c.pool.Members[c.member].Release()
	c.req.Tried = append(c.req.Tried, c.member)
	c.err = fmt.Errorf("%s: %w", c.pool.Members[c.member].Address, err)
	c.member = -1
}

// retry drops c's backend socket after a failed connect and queues a new attempt for
// after this batch of events.
func (l *loop) retry(c *conn, err error) {
	l.wheel.remove(c)
	l.forget(&c.backend)
	l.dialFailed(c, err)
	c.phase = dialing
	l.dialing = append(l.dialing, c)
}

// ready handles an event on one of c's sockets.
func (l *loop) ready(c *conn, fd int, ev uint32) {
	s := &c.client
	if fd == c.backend.fd {
		s = &c.backend
	}
	s.note(ev)
	switch {
	case c.phase == connecting && s == &c.backend && ev&(unix.EPOLLERR|unix.EPOLLHUP) != 0:
		l.retry(c, soError(fd))
	case c.phase == connecting && s == &c.backend && ev&unix.EPOLLOUT != 0:
		l.connected(c)
	case c.phase == forwarding:
		l.pump(c)
	case c.phase == greeting && s == &c.client:
		l.greet(c)
	}
}

// connected reports the successful connect and starts forwarding, after the pool's PROXY
// header when it sends one.
func (l *loop) connected(c *conn) {
	now := time.Now()
	c.pool.Done(c.member, true, now.Sub(c.dialStart), now.UnixNano())
	c.backendAt = c.pool.Members[c.member].Address
	c.phase = forwarding
	c.lastActive = l.now
	l.wheel.remove(c)
	l.wheel.add(c, l.now+c.idle)
	if v := c.pool.Config.SendProxyProtocol; v != "" {
		l.queueProxyHeader(c, v)
	}
	l.pump(c)
}

// queueProxyHeader puts a PROXY header ahead of the client's bytes, including those of
// the prelude still in c.in.pend.
func (l *loop) queueProxyHeader(c *conn, version string) {
	dst := c.dst
	if !dst.IsValid() {
		if sa, err := unix.Getsockname(c.client.fd); err == nil {
			dst = sockaddrAddrPort(sa)
		}
	}
	head := l.buf[:0]
	switch version {
	case "v1":
		head = proxyproto.AppendV1(head, c.src, dst)
	case "v2":
		head = proxyproto.AppendV2(head, c.src, dst)
	}
	head = append(head, c.in.pend[c.in.off:]...)
	c.in.pend, c.in.off = append(c.in.pend[:0], head...), 0
}

// expired handles c's timer: a prelude that did not arrive in time closes c; a connect that took too long is retried elsewhere; a
// forwarding connection quiet for its idle timeout is closed, else checked again later.
func (l *loop) expired(c *conn) {
	switch c.phase {
	case greeting:
		l.preludeFailed(c, errHelloTimeout)
	case connecting:
		l.retry(c, unix.ETIMEDOUT)
	case forwarding:
		if l.now-c.lastActive >= c.idle {
			l.close(c)
			return
		}
		l.wheel.add(c, c.lastActive+c.idle)
	}
}

// close ends c: both sockets, its member, its pipes; the struct is recycled.
func (l *loop) close(c *conn) {
	l.wheel.remove(c)
	l.forget(&c.client)
	l.forget(&c.backend)
	if c.member >= 0 {
		c.pool.Members[c.member].Release()
	}
	l.putPipe(&c.in)
	l.putPipe(&c.out)
	l.s.stats.bytesIn.Add(uint64(c.in.n))
	l.s.stats.bytesOut.Add(uint64(c.out.n))
	l.record(c)
	l.s.stats.active.Add(-1)
	l.open--
	if l.starved {
		l.backlog, l.starved = true, false
	}
	l.recycle(c)
}

func connectTimeout(p *runtime.Pool) time.Duration {
	if d := p.Config.Timeouts.Connect.Duration; d > 0 {
		return d
	}
	return 2 * time.Second
}

// soError is the socket's pending error (a failed connect's cause).
func soError(fd int) error {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if n == 0 {
		return unix.ECONNREFUSED // hung up without an error: the peer refused or went away
	}
	return unix.Errno(n)
}

var (
	errNoBackend = fmt.Errorf("no eligible backend")
	errNotIP     = fmt.Errorf("backend address is not IP:port (engine epoll resolves no names)")
)

// record tells the Observer and the access log about a finished connection, as package l4
// does.
func (l *loop) record(c *conn) {
	if c.route == nil || l.s.Observer == nil && l.s.AccessLog == nil {
		return
	}
	total := time.Since(c.start)
	r := c.route
	if o := l.s.Observer; o != nil {
		o.Request(l.s.name, r.Name, r.Pool.Name, c.backendAt, 0, 0, total, 0)
		o.Transferred(l.s.name, r.Pool.Name, c.in.n, c.out.n)
	}
	if e := l.s.AccessLog.Start(); e != nil {
		e.Time, e.Client, e.Listener, e.Route, e.Pool, e.Backend = c.start, c.src.String(), l.s.name, r.Name, r.Pool.Name, c.backendAt
		e.BytesIn, e.BytesOut, e.Total = c.in.n, c.out.n, total
		if c.failed && c.err != nil {
			e.Error = c.err.Error()
		}
		l.s.AccessLog.Log(e)
	}
}
