package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/loopback"
	"github.com/fulcrum-lb/fulcrum/server"
)

// A TCP connection leaves one access line with the bytes each way, and moves the metrics.
func TestTCPConnectionIsLoggedAndCounted(t *testing.T) {
	echo := loopback.TCPEcho(t)
	path := filepath.Join(t.TempDir(), "access.log")
	al, err := accesslog.New(accesslog.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	srv.SetAccessLog(al)
	cfg := testConfig(t, `
listeners:
  - name: raw
    protocol: tcp
    listen: 127.0.0.1:0
    routes: [{pool: echo}]
pools:
  - name: echo
    backends: [{address: "`+echo+`"}]
`)
	if err := srv.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	c, err := net.Dial("tcp", srv.Addr("raw").String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	c.(*net.TCPConn).CloseWrite()
	got, _ := io.ReadAll(c)
	c.Close()
	if string(got) != "hello" {
		t.Fatalf("echo: got %q, want hello", got)
	}
	var line map[string]any
	waitFor(t, "access line", 2*time.Second, func() bool {
		data, _ := os.ReadFile(path)
		first, _, ok := strings.Cut(string(data), "\n")
		return ok && json.Unmarshal([]byte(first), &line) == nil
	})
	if line["listener"] != "raw" || line["pool"] != "echo" || line["bytes_in"] != 5.0 || line["bytes_out"] != 5.0 {
		t.Errorf("access line: got %v, want listener raw, pool echo, 5 bytes each way", line)
	}
	rec := httptest.NewRecorder()
	srv.Metrics().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`fulcrum_transferred_bytes_total{direction="in",listener="raw",pool="echo"} 5`,
		`fulcrum_transferred_bytes_total{direction="out",listener="raw",pool="echo"} 5`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A UDP session leaves one access line when it expires, with the bytes each way.
func TestUDPSessionIsLogged(t *testing.T) {
	echo := loopback.UDPEcho(t)
	path := filepath.Join(t.TempDir(), "access.log")
	al, err := accesslog.New(accesslog.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	srv.SetAccessLog(al)
	if err := srv.Apply(testConfig(t, `
listeners:
  - name: dns
    protocol: udp
    listen: 127.0.0.1:0
    session_idle: 200ms
    routes: [{pool: echo}]
pools:
  - name: echo
    backends: [{address: "`+echo+`"}]
`)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	c, err := net.Dial("udp", srv.Addr("dns").String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("ping!!"))
	reply := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := c.Read(reply); err != nil || string(reply[:n]) != "ping!!" {
		t.Fatalf("echo: got %q, %v", reply[:n], err)
	}
	var lines []map[string]any
	waitFor(t, "session access line", 3*time.Second, func() bool {
		lines = readJSONLines(t, path)
		return len(lines) > 0
	})
	if l := lines[0]; l["listener"] != "dns" || l["bytes_in"] != 6.0 || l["bytes_out"] != 6.0 {
		t.Errorf("access line: got %v, want listener dns and 6 bytes each way", l)
	}
}
