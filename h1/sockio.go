package h1

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// ErrWouldBlock is ReadNonblock finding no bytes to read.
var ErrWouldBlock = errors.New("h1: read would block")

// SocketIO reads and writes a connection's socket with non-blocking system calls made without
// the runtime's syscall bookkeeping (Linux), parking on the runtime's netpoller only when the
// socket is not ready. A proxy that makes several short socket calls per request on one P
// otherwise pays entersyscall/exitsyscall on each, and the runtime's monitor, seeing the P "in
// a system call" on two visits, hands it to another thread: a futex wake-up and two context
// switches for a call that never blocks. Deadlines set on the connection still apply.
//
// Read and Write may be called from different goroutines, but each from one at a time, as for
// a net.Conn. A connection that is not a socket (net.Pipe, a TLS conn) is read and written
// through its own methods. Read and Write allocate nothing.
type SocketIO struct {
	conn net.Conn
	raw  syscall.RawConn // nil: use conn's methods

	rbuf    []byte
	rn      int
	rerr    error
	readFn  func(fd uintptr) bool
	wbuf    []byte
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
	wfirst  []byte // WriteBoth's first slice, until it is written
	bothFn  func(fd uintptr) bool
}

// NewSocketIO returns the reader and writer for c; it does no I/O.
func NewSocketIO(c net.Conn) *SocketIO {
	s := new(SocketIO)
	s.Reset(c)
	return s
}

// Reset makes s the reader and writer for c (nil: none), so that a SocketIO embedded in a
// pooled structure serves one connection after another without allocating.
func (s *SocketIO) Reset(c net.Conn) {
	s.conn, s.raw = c, nil
	if sc, ok := c.(syscall.Conn); ok && rawIOSupported {
		s.raw, _ = sc.SyscallConn()
	}
	if s.readFn == nil {
		s.readFn, s.writeFn, s.bothFn = s.readReady, s.writeReady, s.writeBothReady
	}
}

// WriteBoth writes all of a and then all of b, with one system call when the socket takes
// both (writev), so a response head in one buffer and a body in another leave together
// without being copied into one. It returns the bytes written from a and b together.
func (s *SocketIO) WriteBoth(a, b []byte) (int, error) {
	if wb, ok := s.conn.(bothWriter); ok {
		return wb.WriteBoth(a, b)
	}
	if s.raw == nil || !rawIOSupported {
		return writeBothPlain(s, a, b)
	}
	s.wfirst, s.wbuf, s.wn, s.werr = a, b, 0, nil
	err := s.raw.Write(s.bothFn)
	n := len(a) - len(s.wfirst) + s.wn
	s.wfirst, s.wbuf = nil, nil
	if err == nil {
		err = s.werr
	}
	return n, err
}

// WriteMore writes all of p like Write, telling the kernel that more bytes follow soon, so the
// last partial segment of p may leave with the next write (MSG_MORE; see netloop.Conn). Only
// a connection that offers it takes the hint; on others it is Write.
func (s *SocketIO) WriteMore(p []byte) (int, error) {
	if mw, ok := s.conn.(moreWriter); ok {
		return mw.WriteMore(p)
	}
	return s.Write(p)
}

// moreWriter is a connection that can write with MSG_MORE (netloop.Conn).
type moreWriter interface {
	WriteMore(p []byte) (int, error)
}

// bothWriter is a connection that writes two slices with one call itself (netloop.Conn).
type bothWriter interface {
	WriteBoth(a, b []byte) (int, error)
}

func writeBothPlain(w io.Writer, a, b []byte) (int, error) {
	n, err := w.Write(a)
	if err != nil {
		return n, err
	}
	m, err := w.Write(b)
	return n + m, err
}

// writeBothReady writes with writev while part of the first slice is left, then the rest of
// the second with writeReady.
func (s *SocketIO) writeBothReady(fd uintptr) bool {
	for len(s.wfirst) > 0 {
		n, errno := rawWritev(fd, s.wfirst, s.wbuf)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			return false
		case errno != 0:
			s.werr = &net.OpError{Op: "writev", Net: "tcp", Err: errno}
			return true
		}
		if n < len(s.wfirst) {
			s.wfirst = s.wfirst[n:]
			continue
		}
		s.wn = n - len(s.wfirst)
		s.wfirst = nil
	}
	return s.writeReady(fd)
}

// Read reads up to len(p) bytes, waiting until some arrive; 0 bytes and io.EOF at the end.
func (s *SocketIO) Read(p []byte) (int, error) {
	if s.raw == nil {
		return s.conn.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	s.rbuf, s.rn, s.rerr = p, 0, nil
	err := s.raw.Read(s.readFn)
	s.rbuf = nil
	if err != nil {
		return 0, err
	}
	return s.rn, s.rerr
}

func (s *SocketIO) readReady(fd uintptr) bool {
	n, err := ReadNonblock(fd, s.rbuf)
	if err == ErrWouldBlock {
		return false
	}
	s.rn, s.rerr = n, err
	return true
}

// Write writes all of p, waiting while the socket's send buffer is full.
func (s *SocketIO) Write(p []byte) (int, error) {
	if s.raw == nil {
		return s.conn.Write(p)
	}
	s.wbuf, s.wn, s.werr = p, 0, nil
	err := s.raw.Write(s.writeFn)
	s.wbuf = nil
	if err == nil {
		err = s.werr
	}
	return s.wn, err
}

func (s *SocketIO) writeReady(fd uintptr) bool {
	for s.wn < len(s.wbuf) {
		n, errno := rawWrite(fd, s.wbuf[s.wn:])
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			return false
		case errno != 0:
			s.werr = &net.OpError{Op: "write", Net: "tcp", Err: errno}
			return true
		}
		s.wn += n
	}
	return true
}

// ReadNonblock reads from a non-blocking socket once, without waiting: ErrWouldBlock when no
// bytes are there, io.EOF at the end of the stream. Call it only inside a RawConn callback.
func ReadNonblock(fd uintptr, p []byte) (int, error) {
	for {
		n, errno := rawRead(fd, p)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			return 0, ErrWouldBlock
		case errno != 0:
			return 0, &net.OpError{Op: "read", Net: "tcp", Err: errno}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
