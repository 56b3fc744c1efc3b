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
	_, port, _ := net.SplitHostPort(echo)
	steps := []struct {
		name, extra, backend, wantLog string
	}{
		{name: "epoll", extra: "engine: epoll", backend: echo},
		{name: "switched to netpoll", extra: "engine: netpoll", backend: echo},
		{name: "back to epoll", extra: "engine: epoll", backend: echo},
		{name: "epoll with a backend by name falls back", extra: "engine: epoll", backend: "localhost:" + port,
			wantLog: "engine epoll does not serve backend address localhost:" + port},
	}
	listen := "127.0.0.1:0"
	for _, st := range steps {
		cfg := testConfig(t, "listeners:\n  - {name: raw, protocol: tcp, listen: \""+listen+"\", "+st.extra+
			", routes: [{pool: echo}]}\npools:\n  - {name: echo, backends: [{address: \""+st.backend+"\"}]}\n")
		if err := srv.Apply(cfg); err != nil {
			t.Fatalf("%s: apply: %v", st.name, err)
		}
		listen = srv.Addr("raw").String()
		if !strings.Contains(logs.String(), st.wantLog) {
			t.Fatalf("%s: log %q, want a line containing %q", st.name, logs.String(), st.wantLog)
		}
		if got := echoThrough(t, listen, st.name); got != st.name {
			t.Fatalf("%s: echo got %q, want %q; logs:\n%s", st.name, got, st.name, logs.String())
		}
	}
}

// A tls listener is served on either engine: the ClientHello reaches the backend the SNI
// route names (an echo here), byte for byte.
func TestTLSListenerServedOnEitherEngine(t *testing.T) {
	if !epoll.Supported {
		t.Skip("engine epoll is Linux only")
	}
	echo := loopback.TCPEcho(t)
	var logs syncBuffer
	srv := server.New(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	hello := string(loopback.ClientHello(t, "api.example.com"))
	listen := "127.0.0.1:0"
	for _, engine := range []string{"epoll", "netpoll", "epoll"} {
		cfg := testConfig(t, "listeners:\n  - {name: pass, protocol: tls, listen: \""+listen+"\", engine: "+engine+
			", routes: [{match: {sni: [api.example.com]}, pool: echo}]}\npools:\n  - {name: echo, backends: [{address: \""+echo+"\"}]}\n")
		if err := srv.Apply(cfg); err != nil {
			t.Fatalf("%s: apply: %v", engine, err)
		}
		listen = srv.Addr("pass").String()
		if got := echoThrough(t, listen, hello); got != hello {
			t.Fatalf("%s: echo got %d bytes, want the %d of the ClientHello", engine, len(got), len(hello))
		}
	}
	if logs.String() != "" {
		t.Fatalf("log %q, want none (engine epoll serves tls listeners)", logs.String())
	}
}
