package l7_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/h1proxy"
	"github.com/fulcrum-lb/fulcrum/server"
)

// backend is a loopback HTTP server that answers with its name, echoes what it received in
// Echo-* headers, and counts requests.
type backend struct {
	name string
	addr string
	srv  *http.Server
	hits atomic.Int64
	// handle, when set, answers instead of the echo.
	handle http.HandlerFunc
}

func startBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name}
	b.srv = &http.Server{Handler: b}
	b.serve(t, listenLoopback(t))
	return b
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func (b *backend) serve(t *testing.T, ln net.Listener) {
	b.addr = ln.Addr().String()
	go b.srv.Serve(ln)
	t.Cleanup(func() { b.srv.Close() })
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.hits.Add(1)
	if b.handle != nil {
		b.handle(w, r)
		return
	}
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Echo-Path", r.URL.RequestURI())
	w.Header().Set("Echo-Proto", r.Proto)
	for _, h := range []string{"X-Env", "X-Secret", "X-Tag"} {
		w.Header()[h+"-Seen"] = r.Header.Values(h)
	}
	fmt.Fprint(w, b.name)
}

// startFulcrum applies yaml, with {{name}} replaced by each backend's address and
// {{dir}} by a temporary directory of the test, and returns the server.
func startFulcrum(t *testing.T, yaml string, backends ...*backend) *server.Server {
	t.Helper()
	return startFulcrumOn(t, "", yaml, backends...)
}

// engines are the HTTP/1.1 engines a test written for both runs against; FULCRUM_TEST_ENGINE
// picks one.
func engines() []string {
	if e := os.Getenv("FULCRUM_TEST_ENGINE"); e != "" {
		return []string{e}
	}
	return []string{"net_http", "fulcrum"}
}

// startFulcrumOn is startFulcrum with engine given to every http listener that names none (""
// leaves the choice to the server). A listener the fulcrum engine cannot serve fails the test,
// so that a test run on fulcrum never passes on net_http unnoticed.
func startFulcrumOn(t *testing.T, engine, yaml string, backends ...*backend) *server.Server {
	t.Helper()
	for _, b := range backends {
		yaml = strings.ReplaceAll(yaml, "{{"+b.name+"}}", b.addr)
	}
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	for i, lc := range cfg.Listeners {
		if engine == "" || lc.Engine != "" || (lc.Protocol != "" && lc.Protocol != "http") {
			continue
		}
		if why := h1proxy.Unsupported(cfg, lc); engine == "fulcrum" && why != "" {
			t.Fatalf("listener %s: engine fulcrum does not serve %s", lc.Name, why)
		}
		cfg.Listeners[i].Engine = engine
	}
	srv := server.New(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := srv.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// reapply parses yaml again and applies it, as a reload would.
func reapply(t *testing.T, srv *server.Server, yaml string) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if err := srv.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func baseURL(srv *server.Server, listener string) string {
	return "http://" + srv.Addr(listener).String()
}

// client returns a keep-alive HTTP/1.1 client that does not follow redirects.
func client() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// clientFrom returns a client whose connections come from the loopback address local.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c := client()
	c.Transport.(*http.Transport).DialContext = d.DialContext
	return c
}

// do sends req and returns the response with its body read.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, string(body)
}

func newRequest(t *testing.T, method, url string, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return req
}
