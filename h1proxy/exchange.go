package h1proxy

import (
	"errors"
	"net"
	"os"
	"time"

	"github.com/fulcrum-lb/fulcrum/h1"
	"github.com/fulcrum-lb/fulcrum/netloop"
	"github.com/fulcrum-lb/fulcrum/route"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

var (
	methodHEAD = []byte("HEAD")
	methodGET  = []byte("GET")
)

// exchange is one request's journey through the proxy. It lives on the connection
// goroutine's stack.
type exchange struct {
	cc      *clientConn
	pool    *runtime.Pool
	action  *route.Action
	head    int // bytes of the request head at the start of the read buffer
	trusted bool
	start   time.Time

	target   []byte // the rewritten target to forward; nil forwards the request's own
	replay   []byte // the whole body, buffered after the head, when it can be replayed
	buffered bool   // the body (or its absence) is in the read buffer: the request can be replayed
	streamed bool   // body bytes were read from the client: no replay is possible any more
	method   []byte // HEAD or GET, for ParseResponse
	minor    int
	close    bool // the client asked to close
	sent1xx  bool // a response byte reached the client

	backend  string
	member   int // index of backend in the pool; -1 none
	attempts int // backends tried (members skipped at max_connections are not)
	// answered is when the response head arrived (the connection is idle soon after).
	answered time.Time
	status   int
	ttfb     time.Duration
}

// errNoBackend means the pool had no eligible member.
var errNoBackend = errors.New("no healthy backend")

// run forwards the request, retrying on other members when allowed, and relays the response.
// It reports whether the client connection may serve another request.
func (ex *exchange) run() bool {
	cc := ex.cc
	ex.prepare()
	if cc.req.Expect100 && cc.req.Body != h1.BodyNone {
		cc.sock.Write(continue100)
	}
	ex.bufferBody()
	cc.bal.Key, cc.bal.HasKey = hashKey(ex.pool, &cc.req, cc.view.client)
	editFields(&cc.req.Headers, ex.action.RequestHeaders) // after hashing: keys come from the client's fields
	if !ex.action.Rewrite.Empty() {
		ex.target = rewriteTarget(ex.action.Rewrite, cc.req.Target)
	}
	cc.bal.Tried, cc.bal.Now, cc.bal.IgnoreHealth = cc.tried[:0], ex.start.UnixNano(), false
	conns := cc.s.backends.forPool(ex.pool)
	var lastErr error
	for attempt := 0; ; attempt++ {
		i := ex.pool.Acquire(&cc.bal) // counted in flight at once: max_connections holds exactly
		if i < 0 {
			return ex.fail(orNoBackend(lastErr))
		}
		cc.bal.Tried = append(cc.bal.Tried, i)
		ex.attempts++
		keep, err, retry := ex.try(conns, i, attempt)
		if err == nil {
			return keep
		}
		if !retry || attempt >= ex.pool.Retries {
			return ex.fail(err)
		}
		lastErr, cc.bal.Now = err, 0
	}
}

var continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// prepare copies what the response side needs from the head, which body reading may move.
func (ex *exchange) prepare() {
	req := &ex.cc.req
	ex.method, ex.minor, ex.close = methodGET, req.ProtoMinor, req.Close
	if string(req.Method) == "HEAD" {
		ex.method = methodHEAD
	}
}

// bufferBody makes a small body replayable by reading it into the buffer behind the head.
func (ex *exchange) bufferBody() {
	cc, in := ex.cc, ex.cc.bufs.in
	switch cc.req.Body {
	case h1.BodyNone:
		ex.buffered = true
		return
	case h1.BodyChunked:
		return
	}
	total := int64(ex.head) + cc.req.ContentLength
	limit := int64(ex.pool.Config.RetryBodyLimit)
	if limit <= 0 {
		limit = 64 << 10
	}
	if cc.req.ContentLength > limit || total > int64(in.Size()) {
		return
	}
	if in.Buffered() < int(total) {
		cc.rdl.extend(cc.c, ex.start, cc.timeouts().idle)
		if _, err := in.Peek(int(total)); err != nil {
			return // the send fails the same way and answers
		}
		buf, _ := in.Peek(int(total)) // reading may have moved the head: parse it again
		if _, err := h1.ParseRequest(buf, h1.Limits{}, &cc.req); err != nil {
			return
		}
	}
	buf, _ := in.Peek(int(total))
	ex.replay, ex.buffered = buf[ex.head:], true
}

func orNoBackend(err error) error {
	if err != nil {
		return err
	}
	return errNoBackend
}

// try sends the request to member i, which run acquired, once and relays the answer; it
// releases the member. On error, retry says whether another member may be tried; the attempt
// was reported to the pool either way.
func (ex *exchange) try(conns *h1.Pool, i, attempt int) (keep bool, err error, retry bool) {
	m := &ex.pool.Members[i] // acquired by run
	ex.backend, ex.member = m.Address, i
	start := ex.start // the first attempt starts with the request
	if attempt > 0 {
		start = time.Now()
	}
	bc, _, err := conns.GetAt(netloop.Context(ex.cc.c), m.Address, start)
	if err != nil {
		m.Release()
		ex.pool.Done(i, false, 0, time.Now().UnixNano())
		return false, err, true
	}
	netloop.Bind(bc.Conn, ex.cc.c) // the connection's task waits for the backend's answer
	n, err := ex.roundTrip(bc, start)
	if err != nil {
		bc.Close()
		m.Release()
		ex.pool.Done(i, false, 0, time.Now().UnixNano())
		return false, err, ex.retryable()
	}
	end := time.Now()
	ex.answered = end
	ex.status, ex.ttfb = ex.cc.resp.Status, end.Sub(start)
	ex.pool.Done(i, ex.status < 502 || ex.status > 504, ex.ttfb, end.UnixNano())
	return ex.relay(conns, bc, n, m), nil, false
}

// retryable says whether a request that failed after it was (perhaps) sent may be repeated:
// only an idempotent request whose body is replayable, before any response byte reached the
// client.
func (ex *exchange) retryable() bool {
	return ex.buffered && !ex.streamed && !ex.sent1xx && idempotent(ex.cc.req.Method)
}

func idempotent(method []byte) bool {
	switch string(method) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// roundTrip sends the request on bc and reads the final response head, forwarding 1xx heads
// to the client. It returns the response head's length in bc.R.
func (ex *exchange) roundTrip(bc *h1.BackendConn, start time.Time) (int, error) {
	if err := ex.send(bc); err != nil {
		return 0, err
	}
	bc.ExtendReadDeadline(start, headerTimeout(ex.pool))
	yieldBeforeRead(bc.Conn)
	for {
		n, err := ex.readResponseHead(bc)
		if err != nil {
			return 0, err
		}
		r := &ex.cc.resp
		if !r.Informational() || r.Status == 101 {
			return n, nil
		}
		if err := ex.forward1xx(n, bc); err != nil {
			return 0, err
		}
	}
}

// send writes the forwarded head and the body to the backend.
func (ex *exchange) send(bc *h1.BackendConn) error {
	cc := ex.cc
	cc.fw.KeepClientXFF = ex.trusted
	head := appendForwardedHead(bc.W.AvailableBuffer(), &cc.req, &cc.fw, ex.target)
	bc.W.Write(head)
	if ex.buffered {
		bc.W.Write(ex.replay)
		return bc.W.Flush()
	}
	if err := ex.streamBody(bc); err != nil {
		return err
	}
	return bc.W.Flush()
}

// streamBody copies a body too large to replay; from here on the request cannot be retried.
func (ex *exchange) streamBody(bc *h1.BackendConn) error {
	cc, in := ex.cc, ex.cc.bufs.in
	ex.streamed = true
	in.Discard(ex.head)
	ex.head = 0
	cc.rdl.extend(cc.c, ex.start, cc.timeouts().idle)
	if cc.req.Body == h1.BodyLength {
		return copyN(bc.W, in, cc.req.ContentLength, nil)
	}
	cc.reqBody.Reset(in, h1.Limits{})
	cc.cw.Reset(bc.W)
	_, err := h1.CopyChunked(&cc.cw, &cc.reqBody, cc.bufs.scratch)
	return err
}

// readResponseHead parses the next response head in bc.R, reading more while incomplete.
func (ex *exchange) readResponseHead(bc *h1.BackendConn) (int, error) {
	for {
		buf, _ := bc.R.Peek(bc.R.Buffered())
		n, err := h1.ParseResponse(buf, h1.Limits{}, ex.method, &ex.cc.resp)
		if err != h1.ErrNeedMore {
			return n, err
		}
		if bc.R.Buffered() == bc.R.Size() {
			return 0, h1.ErrHeadTooLarge
		}
		if _, err := bc.R.Peek(bc.R.Buffered() + 1); err != nil {
			return 0, err
		}
	}
}

// forward1xx passes an interim response to the client, except a 100 Continue when fulcrum
// already sent its own.
func (ex *exchange) forward1xx(n int, bc *h1.BackendConn) error {
	cc := ex.cc
	defer bc.R.Discard(n)
	if cc.resp.Status == 100 && (cc.req.Expect100 || ex.minor == 0) {
		return nil
	}
	out, _ := h1.AppendResponseHead(cc.bufs.out, &cc.resp, &h1.ResponseOptions{ClientMinor: ex.minor})
	cc.bufs.out = out
	ex.sent1xx = true
	return cc.flush()
}

// fail answers the client for an exchange that got no response: 503 when no backend was
// available, 504 on a timeout, else 502.
func (ex *exchange) fail(err error) bool {
	status, msg := 502, "bad gateway\n"
	var ne net.Error
	switch {
	case errors.Is(err, errNoBackend):
		status, msg = 503, "no healthy backend\n"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		status, msg = 504, "gateway timeout\n"
	}
	ex.status = status
	ex.cc.s.logger.Debug("proxy error", "listener", ex.cc.s.name, "status", status, "err", err)
	if ex.sent1xx {
		return false
	}
	keep := !ex.streamed && ex.buffered && !ex.close
	if keep {
		ex.cc.bufs.in.Discard(ex.head + len(ex.replay))
	}
	ex.cc.writeError(status, !keep, msg)
	return ex.cc.flush() == nil && keep
}
