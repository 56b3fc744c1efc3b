package netloop

import (
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/rawsock"
	"golang.org/x/sys/unix"
)

// Readiness bits, set by the loop's events and cleared by the Conn's own calls.
const (
	readable uint32 = 1 << iota
	writable
)

// State bits of Conn.state, above the count of calls in progress.
const (
	closedBit = 1 << 62 // Close was called
	doneBit   = 1 << 61 // the descriptor was closed
	refMask   = doneBit - 1
)

// Conn is a TCP connection on the poller. It satisfies net.Conn, with Go's rules: one reader
// and one writer at a time, Close from anywhere, deadlines from anywhere.
type Conn struct {
	p     *Poller
	fd    int
	gen   int32
	state atomic.Int64  // calls in progress, closedBit, doneBit
	ready atomic.Uint32 // readable, writable
	r, w  waiter
	peer  netip.AddrPort
	// registered: the socket is in the epoll set (set once, by the first call that waits).
	registered atomic.Bool
	// task, when set and not detached, is the coroutine that waits for this Conn.
	task atomic.Pointer[Task]
	// owed: bytes accepted by a write but not sent yet (see outBatch), or the error that
	// ended them; nil almost always.
	owed atomic.Pointer[owedBytes]
	// borrowed: the descriptor belongs to someone else (a net.Listener); closing the Conn
	// takes it out of the epoll set instead of closing it.
	borrowed bool
}

// newConn wraps fd; ready says what to assume until the socket is registered: a call tries
// what is assumed ready, and the socket joins the epoll set only when a call must wait
// (registering reports what is ready at that moment). A short connection whose request is
// there when it is accepted is served and closed without ever being registered.
func newConn(p *Poller, fd int, peer netip.AddrPort, ready uint32) *Conn {
	c := &Conn{p: p, fd: fd, peer: peer}
	c.r.c, c.w.c = c, c
	c.ready.Store(ready)
	return c
}

// wake wakes what waits on w: the Conn's task, or a goroutine. inline runs a parked task on
// the calling goroutine: the loop, whose output batch out then takes the task's small writes,
// or a timer's (out nil).
func (c *Conn) wake(w *waiter, inline bool, out *outBatch) {
	if !w.want.Load() {
		return
	}
	if t := c.task.Load(); t.active() {
		t.wake(inline, out)
		return
	}
	w.wake()
}

// enter counts a call in progress; it fails once Close was called.
func (c *Conn) enter() error {
	if c.state.Add(1)&closedBit != 0 {
		c.leave()
		return net.ErrClosed
	}
	return nil
}

// leave ends a call; the last one out after Close closes the descriptor.
func (c *Conn) leave() {
	if c.state.Add(-1) == closedBit {
		c.closeFD()
	}
}

func (c *Conn) closeFD() {
	if !c.state.CompareAndSwap(closedBit, closedBit|doneBit) {
		return
	}
	if c.borrowed {
		rawsock.EpollCtl(c.p.ep, unix.EPOLL_CTL_DEL, c.fd, &unix.EpollEvent{})
		return
	}
	rawsock.Close(c.fd)
}

// newBorrowedConn watches a descriptor that stays someone else's to close.
func newBorrowedConn(p *Poller, fd int) (*Conn, error) {
	c := newConn(p, fd, netip.AddrPort{}, readable)
	c.borrowed = true
	c.registered.Store(true)
	return c, p.register(c)
}

// Close closes the connection; calls waiting on it return net.ErrClosed.
func (c *Conn) Close() error {
	if c.state.Or(closedBit)&closedBit != 0 {
		return net.ErrClosed
	}
	if owes := c.lingerOwed(); c.registered.Load() && !owes {
		c.p.forget(c)
	}
	c.r.stop()
	c.w.stop()
	c.wake(&c.r, false, nil)
	c.wake(&c.w, false, nil)
	if c.state.Load() == closedBit {
		c.closeFD()
	}
	return nil
}

func (c *Conn) closed() bool { return c.state.Load()&closedBit != 0 }

// Read reads what the socket has, waiting until it has something; io.EOF at the end.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.enter(); err != nil {
		return 0, err
	}
	defer c.leave()
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if err := c.await(&c.r, readable); err != nil {
			return 0, c.opError("read", err)
		}
		c.ready.And(^readable) // before the read: an event during it sets it again
		n, err := rawsock.Read(c.fd, b)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			continue
		case err != nil:
			c.ready.Or(readable)
			return 0, c.opError("read", os.NewSyscallError("read", err))
		case n == 0:
			c.ready.Or(readable) // the end stays readable
			return 0, io.EOF
		case n == len(b):
			c.ready.Or(readable) // a full read may have left more queued
		}
		return n, nil
	}
}

// WaitReadable waits until the socket has bytes (or an end or error) to read, without reading.
// Until a read finds nothing, a new connection counts as readable: it returns at once.
func (c *Conn) WaitReadable() error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	return c.opError("read", c.await(&c.r, readable))
}

// Write writes all of b, waiting while the socket's send buffer is full. A small write made
// by a task that the loop runs goes out when the loop's batch of events is done (outBatch).
func (c *Conn) Write(b []byte) (int, error) {
	if t := c.task.Load(); t.active() && t.batch != nil {
		if err := c.enter(); err != nil {
			return 0, err
		}
		if t.batch.add(c, b) {
			return len(b), nil // the batch keeps the call in progress until it sends b
		}
		c.leave()
	}
	return c.write(b, rawsock.Send)
}

// WriteMore writes all of b like Write, telling the kernel that the caller writes again soon
// (MSG_MORE): the last partial segment of b may leave together with the next write, so that a
// body read from a backend in two parts reaches the client in one segment (one wake-up) rather
// than two. The kernel holds it for at most 200 ms.
func (c *Conn) WriteMore(b []byte) (int, error) { return c.write(b, rawsock.SendMore) }

func (c *Conn) write(b []byte, send func(fd int, b []byte) (int, error)) (int, error) {
	if err := c.enter(); err != nil {
		return 0, err
	}
	defer c.leave()
	if err := c.inOrder(); err != nil {
		return 0, err
	}
	done := 0
	for done < len(b) {
		n, err := c.writeOnce(func() (int, error) { return send(c.fd, b[done:]) })
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

// WriteBoth writes all of a and then all of b, in one writev when the socket takes both.
func (c *Conn) WriteBoth(a, b []byte) (int, error) {
	if len(a) == 0 || len(b) == 0 {
		n, err := c.Write(a)
		if err != nil {
			return n, err
		}
		m, err := c.Write(b)
		return n + m, err
	}
	if err := c.enter(); err != nil {
		return 0, err
	}
	if err := c.inOrder(); err != nil {
		c.leave()
		return 0, err
	}
	n, err := c.writeOnce(func() (int, error) { return rawsock.Writev(c.fd, a, b) })
	c.leave()
	if err != nil || n == len(a)+len(b) {
		return n, err
	}
	if n < len(a) {
		k, err := c.WriteBoth(a[n:], b)
		return n + k, err
	}
	k, err := c.Write(b[n-len(a):])
	return n + k, err
}

// writeOnce makes one successful write call, waiting for room when the socket has none.
func (c *Conn) writeOnce(call func() (int, error)) (int, error) {
	for {
		if err := c.await(&c.w, writable); err != nil {
			return 0, c.opError("write", err)
		}
		n, err := call()
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			c.ready.And(^writable)
			if n, err = call(); err == nil { // room made before the clear would be lost
				return n, nil
			}
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
		}
		return 0, c.opError("write", os.NewSyscallError("write", err))
	}
}

// inOrder readies c for a write or a half-close that goes to the socket at once: the bytes
// the loop's batch holds go first, then what c owes.
func (c *Conn) inOrder() error {
	c.flushTaskBatch()
	return c.awaitOwed()
}

// await returns once the bit is ready, or with the deadline's or Close's error. The caller
// holds a call in progress (enter), so the descriptor is open while it registers.
func (c *Conn) await(w *waiter, bit uint32) error {
	if c.ready.Load()&bit == 0 && !c.registered.Load() && c.registered.CompareAndSwap(false, true) {
		if err := c.p.register(c); err != nil {
			return err
		}
	}
	for {
		if c.ready.Load()&bit != 0 {
			return nil
		}
		if err := c.waitErr(w); err != nil {
			return err
		}
		ready := func() bool { return c.ready.Load()&bit != 0 || c.waitErr(w) != nil }
		if t := c.task.Load(); t.active() {
			t.park(w, ready)
		} else {
			w.park(ready)
		}
	}
}

func (c *Conn) waitErr(w *waiter) error {
	switch {
	case c.closed():
		return net.ErrClosed
	case w.expired.Load():
		return os.ErrDeadlineExceeded
	}
	return nil
}

func (c *Conn) opError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// CloseWrite shuts down the sending side.
func (c *Conn) CloseWrite() error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	if err := c.inOrder(); err != nil {
		return err
	}
	if err := rawsock.ShutdownWrite(c.fd); err != nil {
		return c.opError("shutdown", os.NewSyscallError("shutdown", err))
	}
	return nil
}

// Alive reports whether the peer has neither closed the connection nor sent anything unread:
// a connection pool's check before reusing an idle connection.
func (c *Conn) Alive() bool {
	if c.enter() != nil {
		return false
	}
	defer c.leave()
	return rawsock.PeekAlive(c.fd)
}

// RemoteAddr returns the peer's address (a *net.TCPAddr, allocated on each call).
func (c *Conn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.peer) }

// RemoteAddrPort returns the peer's address without allocating.
func (c *Conn) RemoteAddrPort() netip.AddrPort { return c.peer }

func (c *Conn) LocalAddr() net.Addr {
	if c.enter() != nil {
		return nil
	}
	defer c.leave()
	sa, err := unix.Getsockname(c.fd)
	if err != nil {
		return nil
	}
	return sockaddrToTCP(sa)
}

func (c *Conn) SetDeadline(t time.Time) error {
	c.r.setDeadline(t)
	c.w.setDeadline(t)
	return nil
}

func (c *Conn) SetReadDeadline(t time.Time) error  { c.r.setDeadline(t); return nil }
func (c *Conn) SetWriteDeadline(t time.Time) error { c.w.setDeadline(t); return nil }

func sockaddrToTCP(sa unix.Sockaddr) *net.TCPAddr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return nil
}
