// Package l7 is fulcrum's HTTP data path: accept → route → pool → pick → forward, with
// retries on other backends, passive health reporting and graceful drain.
//
// This implementation forwards with net/http's ReverseProxy and Transport. It sits behind the
// Server type's small surface (New, Serve, Shutdown) so a faster engine can replace it without
// touching route, balance, backend or health.
package l7

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Snapshots returns the snapshot in force; each request keeps the one it started with.
type Snapshots func() *runtime.Snapshot

// Server serves one HTTP listener.
type Server struct {
	name   string
	snaps  Snapshots
	logger *slog.Logger
	proxy  *httputil.ReverseProxy
	http   *http.Server
	// mirrors sends shadow copies; certs serves an https listener's certificates.
	mirrors *mirrors
	certs   *certCache
	drain   drainer

	// Observer, when set before Serve, is told about every proxied request.
	Observer Observer
	// AccessLog, when set before Serve, gets one line per proxied request (sampled).
	AccessLog *accesslog.Logger
}

// Observer receives one call per proxied request (metrics.Metrics implements it). status is
// 0 when no backend answered; backend is "" when none was picked.
type Observer interface {
	Request(listener, route, pool, backend string, status int, ttfb, total time.Duration, retries int)
}

// New returns a server for the listener called name. It does no I/O; call Serve.
func New(name string, snaps Snapshots, transports *Transports, logger *slog.Logger) *Server {
	s := &Server{name: name, snaps: snaps, logger: logger, mirrors: newMirrors(transports, logger)}
	s.proxy = &httputil.ReverseProxy{
		Rewrite:        rewrite,
		ModifyResponse: modifyResponse,
		Transport:      &attempts{transports: transports},
		ErrorHandler:   s.proxyError,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	lc := snaps().Listeners[name].Config
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: orDefault(lc.Timeouts.ReadHeader.Duration, 10*time.Second),
		IdleTimeout:       orDefault(lc.Timeouts.Idle.Duration, 90*time.Second),
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		Protocols:         cleartextProtocols(),
		ConnState:         s.drain.connState,
	}
	return s
}

// cleartextProtocols serves HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one port.
func cleartextProtocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return p
}

// Serve accepts connections on ln until Shutdown; it returns nil after a graceful shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.drain.serving(ln)
	return s.drain.served(s.http.Serve(ln))
}

// StopAccepting closes the listeners and returns once Serve has returned (or after a second),
// and closes the keep-alive connections waiting between requests, so that after a reload that
// hands the socket to a successor every new request is the successor's. Shutdown does the rest
// of the drain.
func (s *Server) StopAccepting() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.drain.stop(ctx, s.http)
}

// Shutdown stops accepting, lets in-flight requests finish until ctx ends, then closes what
// is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.drain.drain(ctx, s.http)
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	return err
}

// ServeHTTP routes one request and hands it to the proxy.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	snap := s.snaps()
	l := snap.Listeners[s.name]
	if l == nil {
		plainError(w, http.StatusServiceUnavailable, "listener is being removed")
		return
	}
	client, trusted := effectiveClient(r, l, clientAddr(r))
	rt := l.Route(view{r: r, client: client})
	if rt == nil {
		plainError(w, http.StatusNotFound, "no route matches this request")
		return
	}
	if answered(w, r, rt.Action) {
		return
	}
	p := rt.ChoosePool(client)
	ex, err := newExchange(r, rt, p, client, trusted)
	if err != nil {
		plainError(w, http.StatusBadRequest, "cannot read request body")
		return
	}
	ex.listener = &l.Config
	s.mirrors.maybe(r, rt, ex)
	if s.Observer == nil && s.AccessLog == nil {
		s.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
		return
	}
	start, sw := time.Now(), &statusWriter{ResponseWriter: w}
	s.proxy.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
	s.record(r, rt.Name, p.Name, ex, sw, start)
}

// transferObserver is the optional part of an Observer that counts bytes.
type transferObserver interface {
	Transferred(listener, pool string, in, out int64)
}

// record tells the Observer and the access log about one proxied request.
func (s *Server) record(r *http.Request, route, pool string, ex *exchange, sw *statusWriter, start time.Time) {
	total, retries, in := time.Since(start), max(ex.attempts-1, 0), max(r.ContentLength, 0)
	if s.Observer != nil {
		s.Observer.Request(s.name, route, pool, ex.backend, sw.status, ex.ttfb, total, retries)
		if t, ok := s.Observer.(transferObserver); ok {
			t.Transferred(s.name, pool, in, sw.bytes)
		}
	}
	if e := s.AccessLog.Start(); e != nil {
		e.Time, e.Client, e.Listener, e.Route, e.Pool, e.Backend = start, r.RemoteAddr, s.name, route, pool, ex.backend
		e.Method, e.Host, e.Path, e.Status = r.Method, r.Host, r.URL.Path, sw.status
		e.BytesIn, e.BytesOut, e.TTFB, e.Total, e.Retries = in, sw.bytes, ex.ttfb, total, retries
		s.AccessLog.Log(e)
	}
}

// statusWriter remembers the status and counts the body bytes sent to the client.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush, hijack for upgrades).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	var ne net.Error
	switch {
	case errors.Is(err, errNoBackend):
		w.Header().Set("Retry-After", "1")
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return // the client went away; nobody to answer
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		status = http.StatusGatewayTimeout
	}
	s.logger.Debug("proxy error", "listener", s.name, "path", r.URL.Path, "status", status, "err", err)
	if isGRPC(r) {
		grpcError(w, r, status)
		return
	}
	msg := http.StatusText(status)
	if status == http.StatusServiceUnavailable {
		msg = "no healthy backend"
	}
	plainError(w, status, msg)
}

func plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func isGRPC(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc")
}

// grpcError answers a gRPC call that could not be proxied the way gRPC clients understand:
// a trailers-only response carrying a grpc-status (as Envoy does), not an HTTP error page.
// A call whose grpc-timeout has run out gets DEADLINE_EXCEEDED whatever the backend did;
// anything else is UNAVAILABLE, which clients may retry.
func grpcError(w http.ResponseWriter, r *http.Request, status int) {
	code, msg := "14", "fulcrum: "+strings.ToLower(http.StatusText(status))
	if status == http.StatusGatewayTimeout || grpcDeadlinePassed(r) {
		code, msg = "4", "fulcrum: deadline exceeded"
	}
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Set("Grpc-Status", code)
	h.Set("Grpc-Message", msg)
	w.WriteHeader(http.StatusOK)
}

// grpcDeadlinePassed reports whether the call's grpc-timeout ("300m", "2S", ...) has elapsed
// since the request arrived.
func grpcDeadlinePassed(r *http.Request) bool {
	d, ok := parseGRPCTimeout(r.Header.Get("Grpc-Timeout"))
	ex, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return ok && ex != nil && time.Since(ex.start) >= d
}

var grpcUnits = map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second,
	'm': time.Millisecond, 'u': time.Microsecond, 'n': time.Nanosecond}

func parseGRPCTimeout(v string) (time.Duration, bool) {
	if len(v) < 2 || len(v) > 9 {
		return 0, false
	}
	unit, ok := grpcUnits[v[len(v)-1]]
	n, err := strconv.ParseInt(v[:len(v)-1], 10, 64)
	if !ok || err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}
