package h1proxy

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/h1"
	"github.com/fulcrum-lb/fulcrum/netloop"
)

// relay sends the response whose head is the first n bytes of bc.R to the client, then gives
// bc back to the pool or closes it. It reports whether the client connection may be reused.
// The member is released (and bc pooled) before the last bytes leave, so a client that sends
// its next request on another connection finds the member's in-flight count already down.
func (ex *exchange) relay(conns *h1.Pool, bc *h1.BackendConn, n int, m *backend.Member) bool {
	cc, resp := ex.cc, &ex.cc.resp
	closeClient := ex.close || !ex.doneWithRequest() || cc.s.closing.Load()
	opt := h1.ResponseOptions{ClientMinor: ex.minor, Via: cc.fw.Via, Close: closeClient}
	editFields(&resp.Headers, ex.action.ResponseHeaders)
	out, kind := h1.AppendResponseHead(cc.bufs.out, resp, &opt)
	cc.bufs.out = out
	bc.R.Discard(n)
	if resp.Status == 101 {
		ex.tunnel(bc)
		m.Release()
		return false
	}
	err := ex.relayBody(bc, kind)
	if err != nil || resp.Close || resp.Body == h1.BodyUntilClose {
		bc.Close()
	} else {
		netloop.Unbind(bc.Conn)
		conns.PutAt(bc, ex.answered)
	}
	m.Release()
	if ferr := cc.flush(); err == nil {
		err = ferr
	}
	return err == nil && !closeClient && kind != h1.BodyUntilClose
}

// doneWithRequest discards the request from the read buffer; false means its body was not
// read to the end and the connection cannot carry another request.
func (ex *exchange) doneWithRequest() bool {
	in := ex.cc.bufs.in
	if ex.streamed {
		return true // send read it to its end
	}
	if !ex.buffered {
		return false
	}
	in.Discard(ex.head + len(ex.replay))
	ex.head, ex.replay = 0, nil
	return true
}

// relayBody copies the response body as kind says. Output is flushed whenever the backend has
// nothing more buffered, so each event of a stream reaches the client at once, and a response
// that arrives in one read leaves in one write.
func (ex *exchange) relayBody(bc *h1.BackendConn, kind h1.BodyKind) error {
	cc, resp := ex.cc, &ex.cc.resp
	w := outWriter{cc}
	r := &cc.backendBody
	r.bc, r.timeout = bc, headerTimeout(ex.pool)
	switch kind {
	case h1.BodyNone:
		return nil
	case h1.BodyLength: // an event stream's every event leaves at once
		flush := cc.flushMidBody
		if isEventStream(resp) {
			flush = cc.flush
		}
		return copyN(w, r, resp.ContentLength, flush)
	case h1.BodyUntilClose:
		return copyN(w, r, -1, cc.flush)
	}
	cc.cw.Reset(w)
	if resp.Body == h1.BodyUntilClose {
		if err := copyN(&cc.cw, r, -1, cc.flush); err != nil {
			return err
		}
		return cc.cw.Close(nil)
	}
	return ex.relayChunked(bc)
}

// flushBelow: when fewer bytes than this are buffered after a chunk (its CRLF, a partial size
// line), the next read will likely wait for the backend, so the output is flushed first.
const flushBelow = 32

// relayChunked re-encodes a chunked body, flushing when the backend has nothing buffered.
func (ex *exchange) relayChunked(bc *h1.BackendConn) error {
	cc := ex.cc
	cc.rspBody.Reset(bc.R, h1.Limits{})
	for {
		n, err := cc.rspBody.Read(cc.bufs.scratch)
		if n > 0 {
			if _, werr := cc.cw.Write(cc.bufs.scratch[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return cc.cw.Close(cc.rspBody.Trailers)
		}
		if err != nil {
			return err
		}
		if bc.R.Buffered() < flushBelow {
			if err := cc.flush(); err != nil {
				return err
			}
		}
	}
}

// backendReader is a backend's buffered reader for a body: a read that times out (the
// response-header deadline still set) extends the deadline, since a body may take its time.
type backendReader struct {
	bc      *h1.BackendConn
	timeout time.Duration
}

func (r backendReader) Buffered() int              { return r.bc.R.Buffered() }
func (r backendReader) Discard(n int) (int, error) { return r.bc.R.Discard(n) }
func (r backendReader) Peek(n int) ([]byte, error) {
	for {
		b, err := r.bc.R.Peek(n)
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			return b, err
		}
		r.bc.ExtendReadDeadline(time.Now(), r.timeout)
	}
}

// tunnel copies bytes both ways after a 101 until either side closes. The connection counts
// as in flight on its backend until then.
func (ex *exchange) tunnel(bc *h1.BackendConn) {
	cc := ex.cc
	if cc.flush() != nil {
		bc.Close()
		return
	}
	cc.rdl.clear(cc.c)
	bc.ClearReadDeadline()
	netloop.Detach(cc.c) // both directions wait at once, on two goroutines
	done := make(chan struct{})
	go func() {
		defer close(done)
		pipe(bc.Conn, cc.bufs.in, cc.c)
		bc.Close()
		cc.c.Close()
	}()
	pipe(cc.c, bc.R, bc.Conn)
	cc.c.Close()
	bc.Close()
	<-done
}

// pipe copies what r has buffered from src and then everything else src sends to dst, straight
// from socket to socket (splice on Linux).
func pipe(dst net.Conn, r *bufio.Reader, src net.Conn) {
	if n := r.Buffered(); n > 0 {
		b, _ := r.Peek(n)
		if _, err := dst.Write(b); err != nil {
			return
		}
		r.Discard(n)
	}
	io.Copy(dst, src)
}

// writeError appends one of fulcrum's own plain-text responses to the output buffer.
func (cc *clientConn) writeError(status int, closeConn bool, msg string) {
	b := appendStatusLine(cc.bufs.out, status)
	b = append(b, "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(msg)), 10)
	if status == 503 {
		b = append(b, "\r\nRetry-After: 1"...)
	}
	if closeConn {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\n\r\n"...)
	cc.bufs.out = append(b, msg...)
}
