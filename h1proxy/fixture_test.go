package h1proxy

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

const oneBackendYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - pool: app
pools:
  - name: app
    backends:
      - address: "BACKEND"
`

// startBackend serves h on a loopback HTTP server and returns its address.
func startBackend(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// startProxy serves the YAML config (BACKEND replaced by backend) with the h1proxy engine and
// returns the server and its address.
func startProxy(t *testing.T, yaml, backend string) (*Server, string) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(strings.ReplaceAll(yaml, "BACKEND", backend)))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := runtime.New(logger)
	if _, err := rt.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	t.Cleanup(rt.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New("web", rt.Snapshot, logger)
	s.backends.noPoller = onRuntimeNetpoller
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, ln.Addr().String()
}

// onRuntimeNetpoller makes startProxy serve on the runtime's netpoller instead of netloop's
// (the path of listeners that are not TCP sockets, and of other systems).
var onRuntimeNetpoller bool

// rawClient is a client connection that writes bytes as given and reads responses.
type rawClient struct {
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return &rawClient{c: c, br: bufio.NewReader(c)}
}

func (rc *rawClient) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// response reads one response to a request with method and returns it with its body read.
func (rc *rawClient) response(t *testing.T, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

// closed reports whether the proxy closed the connection (EOF or a reset within a short wait).
func (rc *rawClient) closed() bool {
	rc.c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := rc.br.ReadByte()
	ne, timeout := err.(net.Error)
	return err != nil && !(timeout && ne.Timeout())
}
