package h1proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestExpectContinueGetsOneInterimResponse(t *testing.T) {
	_, addr := startProxy(t, oneBackendYAML, startBackend(t, echo))
	rc := dialRaw(t, addr)
	rc.send(t, "PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
	line, err := rc.br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("got %q (%v), want a 100 Continue before sending the body", line, err)
	}
	rc.br.ReadString('\n')
	rc.send(t, "data")
	resp, body := rc.response(t, "PUT")
	if resp.StatusCode != 200 || body != "PUT /e data" {
		t.Errorf("got %d %q, want 200 \"PUT /e data\" (and no second 100)", resp.StatusCode, body)
	}
}

// upgrader answers an Upgrade with 101 and then echoes bytes back upper-cased by one offset.
func upgrader(w http.ResponseWriter, r *http.Request) {
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	brw.Flush()
	io.Copy(c, brw)
}

func TestUpgradeBecomesATunnelCountedInFlight(t *testing.T) {
	s, addr := startProxy(t, oneBackendYAML, startBackend(t, upgrader))
	rc := dialRaw(t, addr)
	rc.send(t, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "GET"})
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("got %v (%v), want 101", resp, err)
	}
	m := &s.snaps().Pools["app"].Members[0]
	rc.send(t, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(rc.br, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("tunnel echo: got %q (%v), want ping", buf, err)
	}
	if n := m.InFlight(); n != 1 {
		t.Errorf("in flight while the tunnel is open: got %d, want 1", n)
	}
	rc.c.Close()
	deadline := time.Now().Add(2 * time.Second)
	for m.InFlight() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := m.InFlight(); n != 0 {
		t.Errorf("in flight after the tunnel closed: got %d, want 0", n)
	}
}

func TestIdleConnectionsHoldNoBuffers(t *testing.T) {
	s, addr := startProxy(t, oneBackendYAML, startBackend(t, echo))
	rc := dialRaw(t, addr)
	rc.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	rc.response(t, "GET")
	time.Sleep(50 * time.Millisecond)
	if n := s.Buffered(); n != 0 {
		t.Errorf("got %d connections holding buffers, want 0 (one idle keep-alive connection)", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) != 1 {
		t.Errorf("got %d connections, want 1", len(s.conns))
	}
}

func TestShutdownClosesIdleAndFinishesInFlight(t *testing.T) {
	release := make(chan struct{})
	slow := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, "done")
	}
	s, addr := startProxy(t, oneBackendYAML, startBackend(t, slow))
	idle, busy := dialRaw(t, addr), dialRaw(t, addr)
	idle.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	idle.response(t, "GET")
	busy.send(t, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	if !idle.closed() {
		t.Errorf("idle connection still open during shutdown, want it closed")
	}
	close(release)
	resp, body := busy.response(t, "GET")
	if resp.StatusCode != 200 || body != "done" || !resp.Close {
		t.Errorf("in-flight request: got %d %q close=%v, want 200 \"done\" with Connection: close", resp.StatusCode, body, resp.Close)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: got %v, want nil", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Errorf("listener still accepts after Shutdown")
	}
}

// rawBackend answers every request it reads with a fixed 2-byte response, allocating nothing.
func rawBackend(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				for {
					if _, err := br.ReadSlice('\n'); err != nil {
						return
					}
					if line, _ := br.ReadSlice('\n'); len(line) > 2 {
						for len(line) > 2 {
							if line, err = br.ReadSlice('\n'); err != nil {
								return
							}
						}
					}
					c.Write(resp)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// allocsYAML routes /x to a plain pool beside routes that use every action h1proxy serves; the
// backend is rawBackend, which answers "ok" whatever it is sent.
const allocsYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - match: {path_prefix: /edit}
        pool: app
        request_headers: {set: {X-Env: prod}, add: {X-Tag: fulcrum}, remove: [User-Agent]}
        response_headers: {set: {X-Backend: masked}}
      - match: {path_prefix: /rewrite}
        pool: app
        rewrite: {strip_prefix: /rewrite, replace_prefix: /v2}
      - match: {path: /respond}
        respond: {body: ok}
      - match: {path: /redirect}
        redirect: {path: /ok}
      - pool: app
pools:
  - name: app
    backends:
      - address: "BACKEND"
`

// TestRequestPathAllocatesNothing measures allocations per proxied request (client, proxy and
// backend together): none on a route without actions, even beside routes that have some, and
// a bounded few where an action applies.
func TestRequestPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	for _, tc := range []struct {
		name, yaml, path string
		max              float64
	}{
		{name: "one plain route", yaml: oneBackendYAML, path: "/x?q=1", max: 0},
		{name: "plain route beside action routes", yaml: allocsYAML, path: "/x?q=1", max: 0},
		{name: "header edits", yaml: allocsYAML, path: "/edit/x", max: 2},
		{name: "rewrite (net/url reads the target)", yaml: allocsYAML, path: "/rewrite/x?q=1", max: 5},
		{name: "respond", yaml: allocsYAML, path: "/respond", max: 0},
		{name: "redirect (net/url reads the target)", yaml: allocsYAML, path: "/redirect", max: 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startProxy(t, tc.yaml, rawBackend(t))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			req := []byte("GET " + tc.path + " HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n")
			buf := make([]byte, 4096)
			roundTrip := func() {
				c.Write(req)
				got := 0
				for got < 4 || string(buf[got-4:got]) != "\r\n\r\n" && buf[got-1] != 'k' {
					n, err := c.Read(buf[got:])
					if err != nil {
						t.Fatal(err)
					}
					got += n
				}
			}
			for range 100 {
				roundTrip()
			}
			allocs := testing.AllocsPerRun(500, roundTrip)
			t.Logf("%.2f allocations per request", allocs)
			if allocs > tc.max+0.5 {
				t.Errorf("got %.2f allocations per request, want at most %v", allocs, tc.max)
			}
		})
	}
}

// TestStopAcceptingClosesTheListenerAndIdleConnections: after StopAccepting, a keep-alive
// connection waiting for its next request is closed and no new connection is accepted.
func TestStopAcceptingClosesTheListenerAndIdleConnections(t *testing.T) {
	s, addr := startProxy(t, oneBackendYAML, startBackend(t, echo))
	rc := dialRaw(t, addr)
	rc.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := rc.response(t, "GET"); resp.StatusCode != 200 {
		t.Fatalf("status %d before StopAccepting", resp.StatusCode)
	}
	s.StopAccepting()
	if !rc.closed() {
		t.Error("the idle keep-alive connection is still open after StopAccepting")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted after StopAccepting")
	}
}
