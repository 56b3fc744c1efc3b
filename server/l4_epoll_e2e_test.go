package server_test

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/l4/epoll"
	"github.com/fulcrum-lb/fulcrum/loopback"
	"github.com/fulcrum-lb/fulcrum/server"
)

// echoThrough sends msg through addr, half-closes and returns what comes back.
func echoThrough(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, msg)
	c.(*net.TCPConn).CloseWrite()
	got, _ := io.ReadAll(c)
	return string(got)
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// A tcp listener with engine: epoll forwards; switching the engine on reload keeps the
// address serving; a listener the engine cannot serve falls back to netpoll with a log line.
func TestTCPEngineEpollServesSwitchesAndFallsBack(t *testing.T) {
	if !epoll.Supported {
		t.Skip("engine epoll is Linux only")
	}
	echo := loopback.TCPEcho(t)
	var logs syncBuffer
	srv := server.New(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	steps := []struct {
		name, extra, wantLog string
	}{
		{name: "epoll", extra: "engine: epoll"},
		{name: "switched to netpoll", extra: "engine: netpoll"},
		{name: "back to epoll", extra: "engine: epoll"},
		{name: "epoll with proxy_protocol falls back", extra: "engine: epoll, proxy_protocol: accept, trusted_proxies: [10.0.0.0/8]",
			wantLog: "engine epoll does not serve proxy_protocol: accept"},
	}
	listen := "127.0.0.1:0"
	for _, st := range steps {
		cfg := testConfig(t, "listeners:\n  - {name: raw, protocol: tcp, listen: \""+listen+"\", "+st.extra+
			", routes: [{pool: echo}]}\npools:\n  - {name: echo, backends: [{address: \""+echo+"\"}]}\n")
		if err := srv.Apply(cfg); err != nil {
			t.Fatalf("%s: apply: %v", st.name, err)
		}
		listen = srv.Addr("raw").String()
		if st.wantLog != "" {
			if !strings.Contains(logs.String(), st.wantLog) {
				t.Fatalf("%s: log %q, want a line containing %q", st.name, logs.String(), st.wantLog)
			}
			continue // untrusted loopback clients are refused by PROXY protocol accept
		}
		if got := echoThrough(t, listen, st.name); got != st.name {
			t.Fatalf("%s: echo got %q, want %q", st.name, got, st.name)
		}
	}
}
