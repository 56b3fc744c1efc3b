package l4

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/route"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// session is one client's flow on a udp listener: a connected socket to the backend picked
// when it began. The read loop writes to up and counts seen; the relay goroutine owns the
// rest and sets dead when it ends.
type session struct {
	client netip.AddrPort
	up     *net.UDPConn
	route  *runtime.Route
	pool   *runtime.Pool
	member int
	start  time.Time
	seen   atomic.Uint64 // datagrams either way; the idle check watches it change
	dead   atomic.Bool
	in     atomic.Int64 // bytes from the client (read loop)
	out    int64        // bytes to the client (relay goroutine)
}

var datagramBuffers = sync.Pool{New: func() any { return new([maxDatagram]byte) }}

// newSession picks a backend for a new client and starts relaying its replies; nil when the
// datagram must be dropped.
func (d *Datagram) newSession(from netip.AddrPort) *session {
	l := d.listener()
	if d.closing.Load() || l == nil || len(d.sessions) >= maxSessions(l) {
		return nil
	}
	r := l.Route(route.Conn{Addr: from.Addr()})
	if r == nil {
		return nil
	}
	s, err := dialSession(r.Pool, from)
	if err != nil {
		d.logger.Info("l4: udp session not started", "listener", d.name, "client", from, "err", err)
		return nil
	}
	s.route, s.start = r, time.Now()
	d.sessions[from] = s
	d.created.Add(1)
	d.active.Add(1)
	d.relays.Add(1)
	go d.relay(s, sessionIdle(l))
	return s
}

func maxSessions(l *runtime.Listener) int {
	if n := l.Config.MaxSessions; n > 0 {
		return n
	}
	return 10000
}

func sessionIdle(l *runtime.Listener) time.Duration {
	if d := l.Config.SessionIdle.Duration; d > 0 {
		return d
	}
	return 30 * time.Second
}

// dialSession picks and acquires a member and opens a connected socket to it.
func dialSession(p *runtime.Pool, from netip.AddrPort) (*session, error) {
	req := newRequest(p, from.Addr())
	for attempt := 0; attempt <= p.Retries; attempt++ {
		i := p.Acquire(&req)
		if i < 0 {
			return nil, errNoBackend
		}
		up, err := dialUDP(p.Members[i].Address)
		now := time.Now().UnixNano()
		p.Done(i, err == nil, 0, now)
		if err == nil {
			return &session{client: from, up: up, pool: p, member: i}, nil
		}
		p.Members[i].Release()
		req.Tried = append(req.Tried, i)
	}
	return nil, errNoBackend
}

func dialUDP(address string) (*net.UDPConn, error) {
	ra, err := net.ResolveUDPAddr("udp", address)
	if err != nil {
		return nil, err
	}
	return net.DialUDP("udp", nil, ra)
}

// relay copies the backend's replies to the client until the session has seen no datagram
// either way for idle (checked every idle/4), or the backend refuses (ICMP unreachable).
func (d *Datagram) relay(s *session, idle time.Duration) {
	defer d.relays.Done()
	defer d.endSession(s)
	rc, err := s.up.SyscallConn()
	if err != nil {
		return
	}
	step, quiet, last := idle/4, time.Duration(0), s.seen.Load()
	for quiet < idle {
		s.up.SetReadDeadline(time.Now().Add(step))
		err := rc.Read(func(fd uintptr) bool { return d.drain(s, fd) })
		if s.dead.Load() || err != nil && !isTimeout(err) {
			return
		}
		if now := s.seen.Load(); now != last {
			last, quiet = now, 0
		} else {
			quiet += step
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// drain reads every datagram queued on the session's socket and relays it. It returns false
// ("wait for readability") when the queue is empty, true to stop on a socket error.
func (d *Datagram) drain(s *session, fd uintptr) bool {
	buf := datagramBuffers.Get().(*[maxDatagram]byte)
	defer datagramBuffers.Put(buf)
	for {
		n, err := syscall.Read(int(fd), buf[:])
		if err == syscall.EAGAIN || err == syscall.EINTR {
			return false
		}
		if err != nil {
			s.dead.Store(true) // e.g. ECONNREFUSED: nothing listens on the backend port
			return true
		}
		s.seen.Add(1)
		s.out += int64(n)
		d.out.Add(1)
		d.pc.WriteToUDPAddrPort(buf[:n], s.client)
	}
}

// endSession releases the backend and marks the session for the read loop to forget.
func (d *Datagram) endSession(s *session) {
	ok := !s.dead.Load()
	s.dead.Store(true)
	s.up.Close()
	s.pool.Members[s.member].Release()
	if !ok {
		s.pool.Done(s.member, false, 0, time.Now().UnixNano())
	}
	d.active.Add(-1)
	d.record(s)
}

// record tells the Observer and the access log about one ended session.
func (d *Datagram) record(s *session) {
	total, in, backend := time.Since(s.start), s.in.Load(), s.pool.Members[s.member].Address
	if d.Observer != nil {
		d.Observer.Request(d.name, s.route.Name, s.pool.Name, backend, 0, 0, total, 0)
		d.Observer.Transferred(d.name, s.pool.Name, in, s.out)
	}
	if e := d.AccessLog.Start(); e != nil {
		e.Time, e.Client, e.Listener, e.Route, e.Pool, e.Backend = s.start, s.client.String(), d.name, s.route.Name, s.pool.Name, backend
		e.BytesIn, e.BytesOut, e.Total = in, s.out, total
		d.AccessLog.Log(e)
	}
}
