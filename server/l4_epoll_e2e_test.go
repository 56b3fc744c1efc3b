package server_test

import (
	"bytes"
	"fmt"
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
	got, err := echoOnce(addr, msg)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// echoOnce is echoThrough for any goroutine: a failed dial is returned.
func echoOnce(addr, msg string) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, msg)
	c.(*net.TCPConn).CloseWrite()
	got, _ := io.ReadAll(c)
	return string(got), nil
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
// address serving, without dropping a client that comes during the switch; a listener the
// engine cannot serve falls back to netpoll with a log line.
func TestTCPEngineEpollServesSwitchesAndFallsBack(t *testing.T) {
	if !epoll.Supported {
		t.Skip("engine epoll is Linux only")
	}
	echo := loopback.TCPEcho(t)
	var logs syncBuffer
	srv := server.New(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
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
	for round := range 3 { // the switches race with clients: a few rounds catch more
		for i, st := range steps {
			cfg := testConfig(t, "listeners:\n  - {name: raw, protocol: tcp, listen: \""+listen+"\", "+st.extra+
				", routes: [{pool: echo}]}\npools:\n  - {name: echo, backends: [{address: \""+st.backend+"\"}]}\n")
			// Clients keep coming while the engine switches (once the address is known), and
			// right after it: the retiring service may still take some off the shared socket,
			// and every one must be forwarded all the same.
			var during, after echoClients
			if i > 0 || round > 0 {
				during.start(listen, st.name, 8, true)
			}
			err := srv.Apply(cfg)
			if err == nil {
				listen = srv.Addr("raw").String()
				after.start(listen, st.name, 16, false)
			}
			after.stop()
			during.stop()
			if err != nil {
				t.Fatalf("%s: apply: %v", st.name, err)
			}
			during.check(t, fmt.Sprintf("round %d, %s, during the apply", round, st.name), logs.String)
			after.check(t, fmt.Sprintf("round %d, %s, right after the apply", round, st.name), logs.String)
			if !strings.Contains(logs.String(), st.wantLog) {
				t.Fatalf("%s: log %q, want a line containing %q", st.name, logs.String(), st.wantLog)
			}
		}
	}
}

// echoClients are goroutines sending a message through an address and checking the echo.
type echoClients struct {
	wg     sync.WaitGroup
	halt   chan struct{} // closed by stop
	mu     sync.Mutex
	sent   int
	failed []string
}

// start starts n clients, each sending once, or over and over until stop when repeat.
func (e *echoClients) start(addr, msg string, n int, repeat bool) {
	e.halt = make(chan struct{})
	for range n {
		e.wg.Go(func() {
			for {
				got, err := echoOnce(addr, msg)
				e.mu.Lock()
				e.sent++
				if err != nil || got != msg {
					e.failed = append(e.failed, fmt.Sprintf("echo got %q (err %v), want %q", got, err, msg))
				}
				e.mu.Unlock()
				if !repeat {
					return
				}
				select {
				case <-e.halt:
					return
				default:
				}
			}
		})
	}
}

// stop ends the clients and waits for them; it may be called on a set never started.
func (e *echoClients) stop() {
	if e.halt != nil {
		close(e.halt)
	}
	e.wg.Wait()
}

func (e *echoClients) check(t *testing.T, what string, logs func() string) {
	t.Helper()
	if len(e.failed) > 0 {
		t.Fatalf("%s: %d of %d connections not forwarded, first: %s; logs:\n%s", what, len(e.failed), e.sent, e.failed[0], logs())
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
