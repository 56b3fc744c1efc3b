package h1proxy

import (
	"bytes"
	"io"
	"net"

	"github.com/fulcrum-lb/fulcrum/netloop"
)

// h2Preface opens every HTTP/2 connection (RFC 9113 §3.4).
var h2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// h2cPreface reports whether the buffered bytes begin with the HTTP/2 preface (as far as
// they go: the parser refuses "PRI * HTTP/2.0" at its request line).
func (cc *clientConn) h2cPreface() bool {
	in := cc.bufs.in
	b, _ := in.Peek(min(in.Buffered(), len(h2Preface)))
	return len(b) >= len("PRI * HTTP/2.0\r\n") && bytes.HasPrefix(h2Preface, b)
}

// handOverH2C gives the connection, with the bytes buffered so far, to the H2C handler.
func (cc *clientConn) handOverH2C() {
	in := cc.bufs.in
	head, _ := in.Peek(in.Buffered())
	c := &replayConn{Conn: cc.c, r: io.MultiReader(bytes.NewReader(bytes.Clone(head)), cc.c)}
	cc.releaseBuffers()
	cc.rdl.clear(cc.c)
	netloop.Detach(cc.c) // the HTTP/2 server reads and writes from goroutines of its own
	cc.s.H2C(c)
}

// replayConn is a connection whose first reads return bytes already read from it.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }
