package h1proxy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/h1"
)

// maxEmptyLines is how many stray CRLFs are skipped before a request line (RFC 9112 §2.2).
const maxEmptyLines = 4

// serveRequest reads, routes and answers one request; it reports whether the connection may
// serve another.
func (cc *clientConn) serveRequest() bool {
	n, err := cc.readHead()
	if err != nil {
		if cc.s.H2C != nil && cc.h2cPreface() {
			cc.handOverH2C()
			return false
		}
		cc.refuse(err)
		return false
	}
	start := time.Now()
	cc.lastNow = start
	l := cc.s.snaps().Listeners[cc.s.name]
	if l == nil {
		return cc.answer(503, n, "listener is being removed\n")
	}
	client, trusted := effectiveClient(l, &cc.req, cc.peer)
	cc.view.client = client
	cc.forwarding(&l.Config)
	rt := l.Route(&cc.view)
	if rt == nil {
		return cc.answer(404, n, "no route matches this request\n")
	}
	if rt.Action.Respond != nil || rt.Action.Redirect != nil {
		return cc.answerAction(rt.Action, n)
	}
	p := rt.ChoosePool(client)
	if p == nil {
		return cc.answer(500, n, "route has no pool\n")
	}
	ex := exchange{cc: cc, pool: p, action: rt.Action, head: n, trusted: trusted, start: start, member: -1}
	e := cc.accessEntry(start) // before run: the request's views end with its body
	cc.bodyOut = 0
	keep := ex.run()
	total, retries := time.Since(start), max(ex.attempts-1, 0)
	cc.s.observe(rt, p, ex.member, ex.status, ex.ttfb, total, retries)
	if e != nil {
		e.Route, e.Pool, e.Backend, e.Status, e.TTFB, e.Total, e.Retries = rt.Name, p.Name, ex.backend, ex.status, ex.ttfb, total, retries
		e.BytesOut = cc.bodyOut
		cc.s.AccessLog.Log(e)
	}
	return keep
}

// accessEntry starts an access log line for the request just read, or returns nil when the
// request is sampled out (no allocation then).
func (cc *clientConn) accessEntry(start time.Time) *accesslog.Entry {
	e := cc.s.AccessLog.Start()
	if e == nil {
		return nil
	}
	path, _, _ := bytes.Cut(cc.req.Target, []byte("?"))
	e.Time, e.Client, e.Listener = start, cc.c.RemoteAddr().String(), cc.s.name
	e.Method, e.Host, e.Path = string(cc.req.Method), string(cc.req.Host), string(path)
	if cc.req.Body == h1.BodyLength {
		e.BytesIn = cc.req.ContentLength
	}
	return e
}

// readHead parses the next request head from the buffered bytes, reading more while it is
// incomplete, and returns its length; the head stays buffered (the request's views point
// into it) until the exchange discards it.
func (cc *clientConn) readHead() (int, error) {
	in := cc.bufs.in
	if err := cc.skipEmptyLines(); err != nil {
		return 0, err
	}
	lim := h1.Limits{}
	for {
		buf, _ := in.Peek(in.Buffered())
		n, err := h1.ParseRequest(buf, lim, &cc.req)
		if err != h1.ErrNeedMore {
			return n, err
		}
		if in.Buffered() == in.Size() {
			return 0, h1.ErrHeadTooLarge
		}
		cc.rdl.extend(cc.c, time.Now(), cc.timeouts().readHeader) // slow client: bound the head
		if _, err := in.Peek(in.Buffered() + 1); err != nil {
			return 0, err
		}
	}
}

func (cc *clientConn) skipEmptyLines() error {
	in := cc.bufs.in
	for range maxEmptyLines {
		b, err := in.Peek(2)
		if len(b) < 2 {
			return err
		}
		if b[0] != '\r' || b[1] != '\n' {
			return nil
		}
		in.Discard(2)
	}
	return nil
}

// refuse answers a request that could not be parsed, when the error says what to answer: 408
// when part of a head came and the rest did not within read_header (as HAProxy does; a
// connection that sent nothing is closed silently).
func (cc *clientConn) refuse(err error) {
	var pe *h1.Error
	if errors.Is(err, os.ErrDeadlineExceeded) && cc.bufs != nil && cc.bufs.in.Buffered() > 0 {
		pe = &h1.Error{Status: 408, Reason: "request timeout"}
	}
	if pe != nil || errors.As(err, &pe) {
		cc.writeError(pe.Status, true, pe.Reason+"\n")
		cc.flush()
		cc.lingerClose()
	}
}

// lingerClose half-closes the connection and reads what the client still sends for a moment,
// so that closing with unread bytes does not reset the connection before the client has read
// the answer.
func (cc *clientConn) lingerClose() {
	cw, ok := cc.c.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	cw.CloseWrite()
	cc.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.CopyN(io.Discard, cc.c, 256<<10)
}

// answer sends fulcrum's own response to a request that was not proxied. The connection stays
// open only when the request's body is buffered and can be skipped.
func (cc *clientConn) answer(status, head int, msg string) bool {
	keep := cc.skipRequest(head) && !cc.req.Close
	cc.writeError(status, !keep, msg)
	return cc.flush() == nil && keep
}

// maxSkippedBody is how much of a request body that is not forwarded is read and dropped to
// keep the connection, net/http's limit (maxPostHandlerReadBytes).
const maxSkippedBody = 256 << 10

// skipRequest discards a request that will not be forwarded, reading its body when it is at
// most maxSkippedBody long, as net/http does before it answers; false means the connection
// cannot be reused (a larger or malformed body, or a client waiting for 100 Continue). The
// request's views into the read buffer are invalid once it returns.
func (cc *clientConn) skipRequest(head int) bool {
	in, req := cc.bufs.in, &cc.req
	switch {
	case req.Body == h1.BodyNone:
		in.Discard(head)
		return true
	case req.Expect100, req.Body == h1.BodyLength && req.ContentLength > maxSkippedBody:
		return false
	}
	in.Discard(head)
	cc.rdl.extend(cc.c, time.Now(), cc.timeouts().idle)
	if req.Body == h1.BodyLength {
		return copyN(io.Discard, in, req.ContentLength, nil) == nil
	}
	cc.reqBody.Reset(in, h1.Limits{})
	return readToEOF(&cc.reqBody, cc.bufs.scratch, maxSkippedBody)
}

// readToEOF reads r to its end into buf, reporting whether it ended cleanly within limit bytes.
func readToEOF(r io.Reader, buf []byte, limit int64) bool {
	for n := int64(0); n <= limit; {
		k, err := r.Read(buf)
		n += int64(k)
		switch {
		case err == io.EOF:
			return n <= limit
		case err != nil:
			return false
		}
	}
	return false
}

// copyN copies exactly n bytes from r to w, or until EOF when n < 0, without allocating.
// before runs whenever r has nothing buffered and is about to block (to flush output).
func copyN(w io.Writer, r interface {
	Buffered() int
	Peek(int) ([]byte, error)
	Discard(int) (int, error)
}, n int64, before func() error) error {
	for n != 0 {
		if r.Buffered() == 0 {
			if before != nil {
				if err := before(); err != nil {
					return err
				}
			}
			if _, err := r.Peek(1); err != nil {
				if n < 0 && err == io.EOF {
					return nil
				}
				return truncated(err)
			}
		}
		k := r.Buffered()
		if n > 0 && int64(k) > n {
			k = int(n)
		}
		b, _ := r.Peek(k)
		if _, err := w.Write(b); err != nil {
			return err
		}
		r.Discard(k)
		if n > 0 {
			n -= int64(k)
		}
	}
	return nil
}

func truncated(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
