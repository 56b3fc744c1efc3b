package h1proxy

import (
	"bufio"
	"sync"

	"github.com/fulcrum-lb/fulcrum/h1"
)

// bufSize is the size of a connection's read buffer (it must hold a whole request head) and of
// its output buffer.
const bufSize = h1.DefaultMaxHeadBytes

// buffers are what a client connection holds only while it serves a request.
type buffers struct {
	in      *bufio.Reader // reads from the connection's source
	out     []byte        // response bytes not yet written, cap bufSize
	scratch []byte        // chunked bodies are decoded into it
}

var bufferPool = sync.Pool{New: func() any {
	return &buffers{
		in:      bufio.NewReaderSize(nil, bufSize),
		out:     make([]byte, 0, bufSize),
		scratch: make([]byte, bufSize/2),
	}
}}

// source is what a connection's bufio.Reader reads from: the socket, waiting when it has no
// bytes, or, while the connection waits for a request inside a RawConn callback, the socket
// without waiting (h1.ErrWouldBlock when it has no bytes).
type source struct {
	sock  *h1.SocketIO
	rawFD int // ≥ 0 only inside a RawConn callback
}

func (s *source) Read(p []byte) (int, error) {
	if s.rawFD < 0 {
		return s.sock.Read(p)
	}
	return h1.ReadNonblock(uintptr(s.rawFD), p)
}

// outWriter appends to the connection's output buffer and writes it out when full. A large
// write goes to the socket as it is, together with what the buffer holds (one writev: a
// response head and a body read in one piece leave in one system call, uncopied).
type outWriter struct{ cc *clientConn }

func (w outWriter) Write(p []byte) (int, error) {
	w.cc.bodyOut += int64(len(p))
	b := w.cc.bufs
	if len(b.out)+len(p) <= cap(b.out) {
		b.out = append(b.out, p...)
		return len(p), nil
	}
	if len(p) >= cap(b.out)/2 {
		n, err := w.cc.sock.WriteBoth(b.out, p)
		n -= len(b.out)
		b.out = b.out[:0]
		return max(n, 0), err
	}
	if err := w.cc.flush(); err != nil {
		return 0, err
	}
	b.out = append(b.out, p...)
	return len(p), nil
}
