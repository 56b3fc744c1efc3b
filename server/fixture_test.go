package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/server"
)

// testBackend is a real HTTP server on loopback that answers with its name and counts hits.
type testBackend struct {
	name string
	addr string
	ln   net.Listener
	srv  *http.Server
	mu   sync.Mutex
	hits int
	// handle, when set, serves non-health requests instead of the name answer.
	handle func(w http.ResponseWriter, r *http.Request)
	// unhealthy makes /healthz answer 503.
	unhealthy bool
}

func startBackend(t *testing.T, name string) *testBackend {
	t.Helper()
	b := &testBackend{name: name}
	b.listen(t, "127.0.0.1:0")
	return b
}

func (b *testBackend) listen(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	for i := 0; err != nil && i < 50; i++ { // the port may linger briefly after a kill
		time.Sleep(20 * time.Millisecond)
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		t.Fatalf("backend %s: %v", b.name, err)
	}
	b.ln, b.addr = ln, ln.Addr().String()
	b.srv = &http.Server{Handler: b}
	go b.srv.Serve(ln)
	t.Cleanup(func() { b.srv.Close() })
}

// kill closes the listener and every connection, as a crashed server would.
func (b *testBackend) kill() { b.srv.Close() }

func (b *testBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		b.mu.Lock()
		bad := b.unhealthy
		b.mu.Unlock()
		if bad {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		return
	}
	b.mu.Lock()
	b.hits++
	h := b.handle
	b.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	io.Copy(io.Discard, r.Body)
	w.Header().Set("X-Backend", b.name)
	fmt.Fprint(w, b.name)
}

func (b *testBackend) Hits() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits
}

// testConfig parses yaml and gives http listeners that name no engine the engine under test.
func testConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	for i := range cfg.Listeners {
		if l := &cfg.Listeners[i]; l.Protocol == "http" && l.Engine == "" {
			l.Engine = testEngine
		}
	}
	return cfg
}

// startFulcrum applies a YAML config (with {{name}} placeholders replaced by backend
// addresses) and returns the server and the base URL of listener "web".
func startFulcrum(t *testing.T, yaml string, backends ...*testBackend) (*server.Server, string) {
	t.Helper()
	for _, b := range backends {
		yaml = strings.ReplaceAll(yaml, "{{"+b.name+"}}", b.addr)
	}
	cfg := testConfig(t, yaml)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := server.New(logger)
	if err := srv.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv, "http://" + srv.Addr("web").String()
}

// get fetches url and returns the status and body.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
}

// waitFor polls cond until it holds or the deadline passes, and returns how long it took.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

var errStop = errors.New("stop")
