package epoll

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/rawsock"
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
	ep    int      // epoll instance
	epf   *os.File // ep on the Go runtime's netpoller, which wakes the loop (see wait)
	rc    syscall.RawConn
	dl    int64 // epf's read deadline in loop time; 0 = none
	lfd   int   // listening socket; -1 once Shutdown began
	wake  int   // eventfd poked by Shutdown
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

// newLoop creates the epoll instance, puts it on the Go runtime's netpoller, creates the
// wake eventfd and registers lfd; it takes lfd.
func newLoop(s *Stream, lfd int) (*loop, error) {
	l := &loop{s: s, lfd: lfd, ep: -1, wake: -1, epoch: time.Now()}
	if err := l.setUp(); err != nil {
		l.release()
		return nil, err
	}
	// Accepted sockets inherit TCP_NODELAY from the listening socket: one setsockopt here
	// instead of one per connection.
	unix.SetsockoptInt(lfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	l.configure()
	l.backlog = true
	return l, nil
}

func (l *loop) setUp() error {
	var err error
	if l.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if err = unix.SetNonblock(l.ep, true); err != nil {
		return err
	}
	l.epf = os.NewFile(uintptr(l.ep), "epoll") // non-blocking: the runtime polls it
	if l.rc, err = l.epf.SyscallConn(); err != nil {
		return err
	}
	if l.wake, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return err
	}
	if err = l.watch(l.lfd, unix.EPOLLIN|unix.EPOLLET); err != nil {
		return err
	}
	return l.watch(l.wake, unix.EPOLLIN|unix.EPOLLET)
}

// configure reads the listener's max_connections and timeouts from the snapshot; the
// wheel ticks at a quarter of the shortest timeout, 10 ms to 250 ms.
func (l *loop) configure() {
	shortest := 90 * time.Second
	if ls := l.s.snaps().Listeners[l.s.name]; ls != nil {
		l.maxConns = ls.Config.MaxConnections
		shortest = idleTimeout(ls.Config.Timeouts.Idle.Duration)
		if needsPrelude(ls) {
			shortest = min(shortest, helloTimeout(ls))
		}
	}
	l.wheel.init(min(max(shortest/4, 10*time.Millisecond), 250*time.Millisecond))
}

func (l *loop) watch(fd int, events uint32) error {
	return rawsock.EpollAdd(l.ep, fd, events)
}

// release closes the loop's own descriptors (not connections').
func (l *loop) release() {
	l.s.loopEnded()
	for _, fd := range []int{l.lfd, l.wake} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	if l.epf != nil {
		l.epf.Close()
	} else if l.ep >= 0 {
		unix.Close(l.ep)
	}
	l.lfd, l.wake, l.ep, l.epf = -1, -1, -1, nil
	for _, p := range l.pipes {
		p.close()
	}
	l.pipes = nil
}

// run turns the loop until Shutdown's drain ends.
func (l *loop) run() error {
	defer l.release()
	for {
		n, err := l.wait()
		if err != nil {
			return fmt.Errorf("epoll_wait: %w", err)
		}
		l.now = int64(time.Since(l.epoch))
		for i := range n {
			l.dispatch(&l.events[i])
		}
		l.afterEvents()
		if l.s.closing.Load() && l.stopping() {
			return nil
		}
	}
}

// wait returns the next batch of events. epoll_wait never blocks: with nothing ready, the
// goroutine parks on the Go runtime's netpoller until the epoll instance is readable or the
// wheel's next tick (the read deadline). A thread blocked in epoll_wait would instead make
// the runtime hand its P to another thread and keep sysmon polling every 20 µs.
func (l *loop) wait() (int, error) {
	if len(l.dialing) > 0 || l.backlog && l.underCap() && l.lfd >= 0 {
		return l.poll()
	}
	l.setDeadline()
	var n int
	var perr error
	err := l.rc.Read(func(uintptr) bool {
		n, perr = l.poll()
		return n > 0 || perr != nil
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil
	}
	if err == nil {
		err = perr
	}
	return n, err
}

// poll takes the ready events without waiting.
func (l *loop) poll() (int, error) {
	n, err := rawsock.EpollPoll(l.ep, l.events[:])
	if err == unix.EINTR {
		return 0, nil
	}
	return n, err
}

// setDeadline points epf's read deadline at the wheel's next tick, or removes it when no
// timer is pending; it changes the runtime timer only when the tick moved.
func (l *loop) setDeadline() {
	at := l.wheel.nextTick()
	if at == l.dl {
		return
	}
	l.dl = at
	if at == 0 {
		l.epf.SetReadDeadline(time.Time{})
		return
	}
	l.epf.SetReadDeadline(l.epoch.Add(time.Duration(at)))
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
		fd, src, err := rawsock.Accept(l.lfd)
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
		close(l.s.deaf) // once: the loop closes its listening socket once
	}
	if l.s.abort.Load() {
		l.dialing = l.dialing[:0] // closed below with the rest
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
