package netloop

import (
	"context"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/rawsock"
	"golang.org/x/sys/unix"
)

// Listener accepts connections from a TCP listener as Conns on a poller. The listening socket
// is watched by the poller too, so an accept is tried only when a client is queued.
type Listener struct {
	net.Listener
	p  *Poller
	rc syscall.RawConn
	lc *Conn // the listening socket's readiness; borrowed: the net.Listener closes it
}

// Listen wraps a TCP listener: a *net.TCPListener, or a listener whose Unwrap method leads to
// one (its own Close and Addr still serve). ok is false for any other listener, which should
// then be used as it is. Accepted sockets get TCP_NODELAY, as the net package's do.
func Listen(p *Poller, ln net.Listener) (l *Listener, ok bool) {
	tl := tcpListener(ln)
	if tl == nil {
		return nil, false
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return nil, false
	}
	l = &Listener{Listener: ln, p: p, rc: rc}
	rc.Control(func(fd uintptr) {
		// Accepted sockets inherit TCP_NODELAY from the listening socket on Linux.
		unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		l.lc, err = newBorrowedConn(p, int(fd))
	})
	if err != nil {
		return nil, false
	}
	return l, true
}

// DelayACKs makes the connections accepted from now on delay their ACKs (TCP_QUICKACK off on
// the listening socket, which they inherit), as HAProxy does on its HTTP listeners: the answer
// to a request carries the request's ACK, one segment fewer per new connection. It suits
// request-response protocols; a connection that waits longer than the kernel's delayed-ACK
// timeout (40 ms) still sends its ACK, and leaves the mode.
func (l *Listener) DelayACKs() error {
	var err error
	if cerr := l.rc.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 0)
	}); cerr != nil {
		return cerr
	}
	return os.NewSyscallError("setsockopt", err)
}

// tcpListener finds the *net.TCPListener behind ln, or nil.
func tcpListener(ln net.Listener) *net.TCPListener {
	for {
		switch l := ln.(type) {
		case *net.TCPListener:
			return l
		case interface{ Unwrap() net.Listener }:
			ln = l.Unwrap()
		default:
			return nil
		}
	}
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		if err := l.lc.await(&l.lc.r, readable); err != nil {
			return nil, l.opError(err)
		}
		l.lc.ready.And(^readable)
		var (
			nfd int
			sa  netip.AddrPort
			err error
		)
		cerr := l.rc.Control(func(fd uintptr) { nfd, sa, err = acceptOne(int(fd)) })
		switch {
		case cerr != nil:
			return nil, l.opError(cerr)
		case err == unix.EAGAIN:
			continue
		case err != nil:
			l.lc.ready.Or(readable)
			return nil, l.opError(os.NewSyscallError("accept4", err))
		}
		l.lc.ready.Or(readable) // more clients may be queued
		// The request is usually there already: read it before registering (see newConn).
		return newConn(l.p.pick(), nfd, sa, readable|writable), nil
	}
}

func (l *Listener) opError(err error) error {
	return &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: err}
}

// acceptOne takes one queued client, retrying on EINTR and ECONNABORTED.
func acceptOne(lfd int) (int, netip.AddrPort, error) {
	for {
		fd, ap, err := rawsock.Accept(lfd)
		if err != unix.EINTR && err != unix.ECONNABORTED {
			return fd, ap, err
		}
	}
}

// Close stops watching the listening socket and closes the listener.
func (l *Listener) Close() error {
	l.lc.Close()
	return l.Listener.Close()
}

// Dialer connects Conns to IP:port addresses; an address with a host name is dialed with the
// net package and returns its net.Conn.
type Dialer struct {
	Poller  *Poller
	Timeout time.Duration // connect timeout; 0 none
}

// DialContext connects to address ("IP:port") without blocking the thread: the connect is
// waited for like any write.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || (network != "tcp" && network != "tcp4" && network != "tcp6") {
		detachFrom(ctx) // the loop cannot wait for a name to resolve
		return (&net.Dialer{Timeout: d.Timeout}).DialContext(ctx, network, address)
	}
	c, err := d.connect(ap, taskOf(ctx))
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(ap), Err: err}
	}
	return c, nil
}

// connect connects a Conn, waiting for it on task t when there is one.
func (d *Dialer) connect(ap netip.AddrPort, t *Task) (*Conn, error) {
	fd, err := rawsock.DialSocket(ap) // connected or in progress
	if err != nil {
		return nil, os.NewSyscallError("connect", err)
	}
	p := d.Poller.pick()
	if t != nil {
		p = t.p // the task's own loop sees its events first
	}
	c := newConn(p, fd, ap, 0) // writable once connected: the registration reports it
	c.task.Store(t)
	if err := c.awaitConnect(d.Timeout); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// awaitConnect waits, up to timeout, until the socket is writable, which is when a connect in
// progress succeeded or failed, and reports which.
func (c *Conn) awaitConnect(timeout time.Duration) error {
	if timeout > 0 {
		c.w.setDeadline(time.Now().Add(timeout))
		defer c.w.setDeadline(time.Time{})
	}
	if err := c.await(&c.w, writable); err != nil {
		return err
	}
	switch errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); {
	case err != nil:
		return os.NewSyscallError("getsockopt", err)
	case errno != 0:
		return os.NewSyscallError("connect", unix.Errno(errno))
	}
	return nil
}
