package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/admin"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/demo"
	"github.com/fulcrum-lb/fulcrum/server"
)

// fixture is a running fulcrum (one listener "web" over pool "app" of three real backends)
// with its admin API served on loopback.
type fixture struct {
	t          *testing.T
	srv        *server.Server
	admin      *admin.Admin
	api        *httptest.Server
	backends   []*httptest.Server
	names      map[string]string // backend address → name
	configPath string
}

const fixtureYAML = `listeners:
  - name: web
    protocol: http
    listen: 127.0.0.1:0
    routes:
      - name: main
        pool: app
pools:
  - name: app
    algorithm: round_robin
    backends:
%s  - name: spare
    backends:
      - address: %s
`

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, names: map[string]string{}}
	var list strings.Builder
	for _, name := range []string{"alpha", "bravo", "charlie"} {
		addr := f.startBackend(name)
		fmt.Fprintf(&list, "      - address: %s\n", addr)
	}
	spare := f.startBackend("spare")
	f.configPath = filepath.Join(t.TempDir(), "fulcrum.yaml")
	data := fmt.Sprintf(fixtureYAML, list.String(), spare)
	if err := os.WriteFile(f.configPath, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f.start(data)
	return f
}

func (f *fixture) startBackend(name string) string {
	b := httptest.NewServer(demo.Handler(name))
	f.t.Cleanup(b.Close)
	f.backends = append(f.backends, b)
	addr := strings.TrimPrefix(b.URL, "http://")
	f.names[addr] = name
	return addr
}

func (f *fixture) start(data string) {
	t := f.t
	cfg, err := config.Parse("fixture.yaml", []byte(data))
	if err != nil {
		t.Fatalf("fixture config: %v", err)
	}
	logger := slog.New(slog.DiscardHandler)
	f.srv = server.New(logger)
	if err := f.srv.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
	})
	rt := f.srv.Runtime()
	f.admin = admin.New(admin.Options{Applier: f.srv, Snapshots: rt.Snapshot, Metrics: f.srv.Metrics(),
		ConfigPath: f.configPath, Logger: logger})
	f.admin.Observe("startup")
	f.api = httptest.NewServer(f.admin)
	t.Cleanup(f.api.Close)
}

// addr returns the address of backend name.
func (f *fixture) addr(name string) string {
	for a, n := range f.names {
		if n == name {
			return a
		}
	}
	f.t.Fatalf("no backend %q", name)
	return ""
}

// call sends a request to the admin API and returns the status and body.
func (f *fixture) call(method, path, body string) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.api.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := f.api.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// callJSON is call that decodes a JSON answer into out.
func (f *fixture) callJSON(method, path, body string, wantStatus int, out any) {
	f.t.Helper()
	status, data := f.call(method, path, body)
	if status != wantStatus {
		f.t.Fatalf("%s %s: got status %d (%s), want %d", method, path, status, data, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

// version is the configuration version in force.
func (f *fixture) version() int64 { return f.srv.Runtime().Snapshot().Version }

// traffic sends n requests through listener web and counts answers per backend name.
func (f *fixture) traffic(n int) map[string]int {
	f.t.Helper()
	url := "http://" + f.srv.Addr("web").String() + "/"
	got := map[string]int{}
	client := &http.Client{Timeout: 5 * time.Second}
	for range n {
		resp, err := client.Get(url)
		if err != nil {
			f.t.Fatalf("request through fulcrum: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got[resp.Header.Get("X-Backend")]++
	}
	return got
}

// runningYAML is the configuration in force as YAML.
func (f *fixture) runningYAML() string {
	data, err := f.srv.Runtime().Snapshot().Config.Marshal()
	if err != nil {
		f.t.Fatal(err)
	}
	return string(data)
}

func jsonBody(v any) string {
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(v)
	return b.String()
}
