package server_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/server"
)

// Every proxied request leaves one JSON access line naming where it went.
func TestAccessLogLinePerRequest(t *testing.T) {
	a := startBackend(t, "a")
	path := filepath.Join(t.TempDir(), "access.log")
	al, err := accesslog.New(accesslog.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	srv.SetAccessLog(al)
	cfg := testConfig(t, strings.ReplaceAll(`
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes: [{pool: app}]
pools:
  - name: app
    backends: [{address: "{{a}}"}]
`, "{{a}}", a.addr))
	if err := srv.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	url := "http://" + srv.Addr("web").String()
	c := newClient()
	for i := 0; i < 3; i++ {
		get(t, c, url+"/items?id=7")
	}
	var lines []map[string]any
	// The line is written once the response is out, so the client may see the answer first.
	waitFor(t, "3 access lines", 2*time.Second, func() bool {
		lines = readJSONLines(t, path)
		return len(lines) >= 3
	})
	if len(lines) != 3 {
		t.Fatalf("got %d access lines, want 3", len(lines))
	}
	want := map[string]any{"listener": "web", "pool": "app", "backend": a.addr, "method": "GET", "path": "/items", "status": 200.0}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("access line %s: got %v, want %v (line %v)", k, lines[0][k], v, lines[0])
		}
	}
	if lines[0]["bytes_out"] != 1.0 {
		t.Errorf("bytes_out: got %v, want 1 (the backend answers \"a\")", lines[0]["bytes_out"])
	}
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}
