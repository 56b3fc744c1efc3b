package l7

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"time"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// errNoBackend means the pool had no eligible member for the request.
var errNoBackend = errors.New("no healthy backend")

type exchangeKey struct{}

// exchange is one client request's journey: its pool, its key, the backends tried and the
// body kept for replay. It belongs to the request's goroutine.
type exchange struct {
	listener   *config.Listener
	pool       *runtime.Pool
	route      *runtime.Route
	trusted    bool
	affinity   affinityState
	req        balance.Request
	tried      [4]int
	body       []byte        // the whole body when replayable
	replayable bool          // body is empty or buffered in full
	stream     *onceReader   // the body when it is streamed
	attempts   int           // backends tried (members skipped at max_connections are not)
	backend    string        // address of the last member tried, for the Observer
	ttfb       time.Duration // time to the last attempt's response head
	start      time.Time     // when the request was routed
}

func newExchange(r *http.Request, rt *runtime.Route, p *runtime.Pool, client netip.Addr, trusted bool) (*exchange, error) {
	ex := &exchange{pool: p, route: rt, trusted: trusted, start: time.Now()}
	ex.req.Tried = ex.tried[:0]
	ex.req.Key, ex.req.HasKey = hashKey(p, r, client)
	ex.affinity = readAffinity(r, p)
	return ex, ex.takeBody(r, limitOr(p.Config.RetryBodyLimit, 64<<10))
}

func limitOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// takeBody buffers a body of at most limit bytes so it can be replayed on another backend;
// a larger body is streamed and makes the request non-retryable once any byte is sent.
func (ex *exchange) takeBody(r *http.Request, limit int) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		ex.replayable = true
		return nil
	}
	if r.ContentLength > int64(limit) || (r.ContentLength < 0 && r.ProtoMajor >= 2) {
		// Too large, or an HTTP/2 stream of unknown length (gRPC streaming): never wait
		// for the whole body before forwarding.
		ex.streamBody(r, nil)
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return err
	}
	if len(buf) > limit {
		ex.streamBody(r, buf)
		return nil
	}
	ex.body, ex.replayable = buf, true
	r.ContentLength = int64(len(buf))
	r.Body = io.NopCloser(bytes.NewReader(buf))
	return nil
}

func (ex *exchange) streamBody(r *http.Request, head []byte) {
	ex.stream = &onceReader{r: io.MultiReader(bytes.NewReader(head), r.Body)}
	r.Body = ex.stream
}

// canRetry decides whether a failed attempt may be repeated on another backend: a failed
// connect always (nothing was sent), anything else only for idempotent methods whose body
// can be replayed.
func (ex *exchange) canRetry(out *http.Request, err error, attempt int) bool {
	if attempt >= ex.pool.Retries || out.Context().Err() != nil {
		return false
	}
	if ex.stream != nil && ex.stream.started {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return ex.replayable && idempotent(out.Method)
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// attempts is the proxy's RoundTripper: it picks a backend per attempt, retries on others
// when allowed, and reports every outcome to the pool.
type attempts struct{ transports *Transports }

func (a *attempts) RoundTrip(out *http.Request) (*http.Response, error) {
	ex := out.Context().Value(exchangeKey{}).(*exchange)
	tr := a.transports.For(ex.pool)
	var lastErr error
	for attempt := 0; ; attempt++ {
		i := ex.pick()
		if i < 0 {
			return nil, orNoBackend(lastErr)
		}
		ex.req.Tried = append(ex.req.Tried, i)
		ex.attempts++
		resp, err := ex.try(tr, out, i, attempt)
		if err == nil {
			return resp, nil
		}
		if !ex.canRetry(out, err, attempt) {
			return nil, err
		}
		lastErr = err
		ex.req.Now = 0
	}
}

func orNoBackend(err error) error {
	if err != nil {
		return err
	}
	return errNoBackend
}

// try sends out to member i, which pick acquired, once and accounts for it (releasing it).
func (ex *exchange) try(tr http.RoundTripper, out *http.Request, i, attempt int) (*http.Response, error) {
	m := &ex.pool.Members[i]
	out.URL.Host = m.Address
	if attempt > 0 && ex.replayable && ex.body != nil {
		out.Body = io.NopCloser(bytes.NewReader(ex.body))
	}
	start := time.Now() // m was acquired by pick
	resp, err := tr.RoundTrip(out)
	end := time.Now()
	ex.backend = m.Address
	if err != nil {
		m.Release()
		ex.pool.Done(i, false, 0, end.UnixNano())
		return nil, err
	}
	ok := resp.StatusCode < 502 || resp.StatusCode > 504
	ex.pool.Done(i, ok, end.Sub(start), end.UnixNano())
	ex.backend, ex.ttfb = m.Address, end.Sub(start)
	resp.Body = releasing(resp.Body, m.Release)
	return resp, nil
}

// rewrite prepares the outbound request: forwarding headers (client-supplied ones kept only
// from trusted proxies), Via, and the client's Host kept as is.
func rewrite(pr *httputil.ProxyRequest) {
	ex := pr.In.Context().Value(exchangeKey{}).(*exchange)
	pr.Out.URL.Scheme, pr.Out.URL.Host = backendScheme(ex.pool), ex.pool.Name
	applyRewrite(pr.Out, ex.route.Action)
	setXForwarded(pr, ex)
	if ex.listener.AddsVia() {
		pr.Out.Header.Add("Via", viaValue(pr.In))
	}
	ex.route.Action.RequestHeaders.Apply(pr.Out.Header)
}

// modifyResponse applies the route's response header edits and (re)issues the affinity
// cookie when the backend that answered is not the one the client's cookie named.
func modifyResponse(resp *http.Response) error {
	ex := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	ex.route.Action.ResponseHeaders.Apply(resp.Header)
	ex.affinity.issue(resp.Header, ex.pool, time.Now())
	return nil
}

// setXForwarded sets X-Forwarded-For/-Proto/-Host (client-supplied ones kept only from trusted
// proxies), or passes the client's through untouched when the listener adds none.
func setXForwarded(pr *httputil.ProxyRequest, ex *exchange) {
	if !ex.listener.AddsXForwarded() {
		for _, name := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"} {
			keepHeader(pr, name)
		}
		return
	}
	if ex.trusted {
		pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
	}
	pr.SetXForwarded()
	if ex.trusted {
		keepHeader(pr, "X-Forwarded-Proto")
		keepHeader(pr, "X-Forwarded-Host")
	}
}

func keepHeader(pr *httputil.ProxyRequest, name string) {
	if v := pr.In.Header.Values(name); len(v) > 0 {
		pr.Out.Header[name] = v
	}
}

func viaValue(r *http.Request) string {
	if r.ProtoMajor == 2 {
		return "2.0 fulcrum"
	}
	return "1.1 fulcrum"
}

// onceReader streams a body that cannot be replayed and records whether any byte was taken.
// Close is a no-op: the server closes the client's body itself.
type onceReader struct {
	r       io.Reader
	started bool
}

func (o *onceReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if n > 0 {
		o.started = true
	}
	return n, err
}

func (o *onceReader) Close() error { return nil }

// releasing wraps a response body so release runs once when it is closed; an upgraded
// (101) body keeps its Write method so the proxy can tunnel through it.
func releasing(body io.ReadCloser, release func()) io.ReadCloser {
	r := &releaser{ReadCloser: body, release: release}
	if rw, ok := body.(io.ReadWriteCloser); ok {
		return &rwReleaser{releaser: r, w: rw}
	}
	return r
}

type releaser struct {
	io.ReadCloser
	release func()
	done    bool
}

func (r *releaser) Close() error {
	err := r.ReadCloser.Close()
	if !r.done {
		r.done = true
		r.release()
	}
	return err
}

type rwReleaser struct {
	*releaser
	w io.Writer
}

func (r *rwReleaser) Write(p []byte) (int, error) { return r.w.Write(p) }
