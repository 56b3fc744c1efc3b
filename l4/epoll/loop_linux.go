package epoll

import (
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

const (
	maxEvents = 256 // epoll_wait batch
	maxAccept = 64  // accepts per round, so a flood of clients cannot starve open connections
	bufSize   = 16 << 10
	connFlags = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET
)

// loop is one listener's event loop. Every field belongs to the goroutine running run.
type loop struct {
	s     *Stream
	ep    int // epoll instance
	lfd   int // listening socket; -1 once Shutdown began
	wake  int // eventfd poked by Shutdown
	epoch time.Time
	now   int64 // nanoseconds since epoch, read once per epoll_wait

	maxConns int  // listener max_connections; 0 = no cap
	open     int  // connections open
	backlog  bool // the listening socket may have clients not accepted yet
	starved  bool // accept failed (EMFILE…): retry when a connection closes

	byFD    []*conn // connection by client or backend descriptor
	free    []*conn // closed connections, for reuse
	dialing []*conn // connections waiting to (re)connect after this batch of events
	pipes   []pipe  // empty pipes, for reuse
	wheel   wheel

	events [maxEvents]unix.EpollEvent
	buf    [bufSize]byte // small chunks pass through here, read and written at once
}

// newLoop creates the epoll instance and wake eventfd and registers lfd; it takes lfd.
func newLoop(s *Stream, lfd int) (*loop, error) {
	l := &loop{s: s, lfd: lfd, ep: -1, wake: -1, epoch: time.Now()}
	var err error
	if l.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, err
	}
	if l.wake, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		l.release()
		return nil, err
	}
	// Accepted sockets inherit TCP_NODELAY from the listening socket: one setsockopt here
	// instead of one per connection.
	unix.SetsockoptInt(lfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err = l.watch(lfd, unix.EPOLLIN|unix.EPOLLET); err == nil {
		err = l.watch(l.wake, unix.EPOLLIN|unix.EPOLLET)
	}
	if err != nil {
		l.release()
		return nil, err
	}
	l.configure()
	l.backlog = true
	return l, nil
}

// configure reads the listener's max_connections and idle timeout from the snapshot.
func (l *loop) configure() {
	idle := 90 * time.Second
	if ls := l.s.snaps().Listeners[l.s.name]; ls != nil {
		l.maxConns = ls.Config.MaxConnections
		idle = idleTimeout(ls.Config.Timeouts.Idle.Duration)
	}
	l.wheel.init(min(max(idle/4, 10*time.Millisecond), 250*time.Millisecond))
}

func (l *loop) watch(fd int, events uint32) error {
	return unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: events, Fd: int32(fd)})
}

// release closes the loop's own descriptors (not connections').
func (l *loop) release() {
	l.s.loopEnded()
	for _, fd := range []int{l.lfd, l.wake, l.ep} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	l.lfd, l.wake, l.ep = -1, -1, -1
	for _, p := range l.pipes {
		p.close()
	}
	l.pipes = nil
}

// run turns the loop until Shutdown's drain ends.
func (l *loop) run() error {
	defer l.release()
	for {
		n, err := unix.EpollWait(l.ep, l.events[:], l.waitMillis())
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("epoll_wait: %w", err)
		}
		l.now = int64(time.Since(l.epoch))
		for i := range max(n, 0) {
			l.dispatch(&l.events[i])
		}
		l.afterEvents()
		if l.s.closing.Load() && l.stopping() {
			return nil
		}
	}
}

// waitMillis is epoll_wait's timeout: none while work is queued, the next wheel tick while
// connections are open, otherwise infinite.
func (l *loop) waitMillis() int {
	if len(l.dialing) > 0 || l.backlog && l.underCap() && l.lfd >= 0 {
		return 0
	}
	return l.wheel.waitMillis(int64(time.Since(l.epoch)))
}

// dispatch hands one event to its socket's owner.
func (l *loop) dispatch(ev *unix.EpollEvent) {
	fd := int(ev.Fd)
	switch {
	case fd == l.lfd:
		l.backlog = true
	case fd == l.wake:
		var b [8]byte
		unix.Read(l.wake, b[:])
	case fd < len(l.byFD) && l.byFD[fd] != nil:
		l.ready(l.byFD[fd], fd, ev.Events)
	}
}

// afterEvents does what creates descriptors — connects, then accepts — once the batch is
// handled, so a stale event in the batch never meets a reused descriptor number; then it
// advances the timer wheel.
func (l *loop) afterEvents() {
	for len(l.dialing) > 0 {
		c := l.dialing[len(l.dialing)-1]
		l.dialing = l.dialing[:len(l.dialing)-1]
		l.connect(c)
	}
	if l.backlog && l.lfd >= 0 {
		l.acceptSome()
	}
	l.wheel.advance(l.now, l.expired)
}

func (l *loop) underCap() bool { return l.maxConns <= 0 || l.open < l.maxConns }

// acceptSome accepts up to maxAccept clients, stopping at EAGAIN (backlog emptied) or at
// the listener's max_connections: the rest wait in the kernel's accept queue.
func (l *loop) acceptSome() {
	for range maxAccept {
		if !l.underCap() {
			return
		}
		fd, src, err := accept(l.lfd)
		switch err {
		case nil:
			l.s.stats.accepted.Add(1)
			l.admit(fd, src)
		case unix.EINTR, unix.ECONNABORTED:
		case unix.EAGAIN:
			l.backlog = false
			return
		default: // EMFILE and the like: try again when a connection closes
			l.s.logger.Warn("l4 epoll: accept", "listener", l.s.name, "err", err)
			l.backlog, l.starved = false, true
			return
		}
	}
}

// stopping closes the listening socket, and every connection once the drain is over; it
// reports whether the loop may end.
func (l *loop) stopping() bool {
	if l.lfd >= 0 {
		unix.Close(l.lfd)
		l.lfd = -1
	}
	if l.s.abort.Load() {
		for _, c := range l.byFD {
			if c != nil {
				l.close(c)
			}
		}
	}
	return l.open == 0
}

func sockaddrAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}

func idleTimeout(d time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return 90 * time.Second
}
