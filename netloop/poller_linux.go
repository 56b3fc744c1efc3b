package netloop

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/fulcrum-lb/fulcrum/rawsock"
	"golang.org/x/sys/unix"
)

// Supported reports whether this system has the poller (Linux).
const Supported = true

const (
	maxEvents = 256
	watchAll  = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET
	inEvents  = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR
	outEvents = unix.EPOLLOUT | unix.EPOLLHUP | unix.EPOLLERR
)

// Poller is one epoll instance and the goroutine that hands out its events. It lives as long
// as the process.
type Poller struct {
	ep int

	mu    sync.Mutex                             // serializes changes of conns
	conns atomic.Pointer[[]atomic.Pointer[Conn]] // by descriptor; read lock-free by the loop
	gen   atomic.Int32
	// wokeGoroutine: a goroutine (not a task) was woken since the loop last yielded.
	wokeGoroutine atomic.Bool // generation numbers for registrations

	events [maxEvents]unix.EpollEvent // the loop's
	out    outBatch                   // the writes of the tasks the loop runs, sent after each batch
}

var (
	defaultOnce sync.Once
	pollers     []*Poller // one per P at start, each with its loop goroutine
	defaultErr  error
	nextPoller  atomic.Uint32
)

// Default returns the process's first poller, starting the process's pollers on first use:
// one per P (GOMAXPROCS at that moment), so that connections' work spreads over the CPUs.
// Listeners and dialers hand new connections to them in turn.
func Default() (*Poller, error) {
	defaultOnce.Do(func() {
		for range max(runtime.GOMAXPROCS(0), 1) {
			p, err := newPoller()
			if err != nil {
				defaultErr = err
				return
			}
			pollers = append(pollers, p)
			go p.run()
		}
	})
	if defaultErr != nil {
		return nil, defaultErr
	}
	return pollers[0], nil
}

// pick returns the poller for a new connection: the next of the process's pollers in turn,
// or p when the process's pollers are not started.
func (p *Poller) pick() *Poller {
	if len(pollers) < 2 {
		return p
	}
	return pollers[int(nextPoller.Add(1))%len(pollers)]
}

func newPoller() (*Poller, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netloop: epoll_create1: %w", err)
	}
	p := &Poller{ep: ep}
	table := make([]atomic.Pointer[Conn], 1024)
	p.conns.Store(&table)
	return p, nil
}

// yieldEvery: the loop yields after this many batches even when it woke no goroutine (tasks
// run inline), so that other goroutines (accepting, timers) run under sustained load too.
const yieldEvery = 16

// run hands out events forever: a batch, the writes its tasks made (see outBatch), then a
// yield when it woke goroutines (not tasks), so that they run before the next poll. With
// nothing ready it blocks in epoll_wait as a system call: the runtime hands the P to another
// thread while it waits, and a wake-up is one return from epoll_wait with the events, as in
// an event-driven server. (Parking on the
// runtime's netpoller instead, with the epoll descriptor on it, cost an empty poll, the
// runtime's own epoll_wait calls and a scheduler pass per wake-up: about 10 % more CPU per
// request in the A/B, bench/H1-FIGURES.md. Waiting in epoll_wait with RawSyscall, holding the
// P, cost more still.)
func (p *Poller) run() {
	n := 0
	for batch := 1; ; batch++ {
		if n = p.take(); n == 0 {
			n = p.block()
		}
		for i := range n {
			p.dispatch(&p.events[i])
		}
		p.out.flush()
		if p.wokeGoroutine.Swap(false) || batch%yieldEvery == 0 {
			runtime.Gosched()
		}
	}
}

// block waits in epoll_wait until an event comes, as a blocking system call.
func (p *Poller) block() int {
	for {
		k, _, errno := syscall.Syscall6(syscall.SYS_EPOLL_PWAIT, uintptr(p.ep), uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)), ^uintptr(0), 0, 0)
		if errno != unix.EINTR {
			return max(int(k), 0)
		}
	}
}

// take takes the ready events without waiting.
func (p *Poller) take() int {
	for {
		k, err := rawsock.EpollPoll(p.ep, p.events[:])
		if err != unix.EINTR {
			return max(k, 0)
		}
	}
}

// dispatch records an event's readiness on its Conn and wakes the Conn's waiters.
func (p *Poller) dispatch(ev *unix.EpollEvent) {
	table := *p.conns.Load()
	fd := int(ev.Fd)
	if fd >= len(table) {
		return
	}
	c := table[fd].Load()
	if c == nil || c.gen != ev.Pad {
		return // closed, perhaps reused: the new socket has its own events
	}
	if ev.Events&inEvents != 0 {
		c.ready.Or(readable)
		c.wake(&c.r, true, &p.out)
	}
	if ev.Events&outEvents != 0 {
		c.ready.Or(writable)
		c.payOwed()
		c.wake(&c.w, true, &p.out)
	}
}

// register puts c in the table and fd in the epoll set.
func (p *Poller) register(c *Conn) error {
	c.gen = p.gen.Add(1)
	p.track(c)
	ev := unix.EpollEvent{Events: watchAll, Fd: int32(c.fd), Pad: c.gen}
	if err := rawsock.EpollCtl(p.ep, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		p.forget(c)
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// track puts c in the table, where the loop finds it by its descriptor.
func (p *Poller) track(c *Conn) {
	p.mu.Lock()
	table := *p.conns.Load()
	if c.fd >= len(table) {
		grown := make([]atomic.Pointer[Conn], max(2*len(table), c.fd+1))
		for i := range table {
			grown[i].Store(table[i].Load())
		}
		p.conns.Store(&grown)
		table = grown
	}
	table[c.fd].Store(c)
	p.mu.Unlock()
}

// forget takes c out of the table; closing its descriptor takes it out of the epoll set.
func (p *Poller) forget(c *Conn) {
	p.mu.Lock()
	table := *p.conns.Load()
	table[c.fd].CompareAndSwap(c, nil)
	p.mu.Unlock()
}
