package h1

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// backend is a net/http server on loopback that counts the connections it accepted.
type backend struct {
	addr  string
	conns atomic.Int64
	srv   *http.Server
}

func startBackend(t *testing.T, handler http.HandlerFunc) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{addr: ln.Addr().String()}
	b.srv = &http.Server{Handler: handler, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.conns.Add(1)
		}
	}}
	go b.srv.Serve(ln)
	t.Cleanup(func() { b.srv.Close() })
	return b
}

// exchange sends GET path on c and reads the whole response, returning its body and whether
// the connection may be reused.
func exchange(t *testing.T, c *BackendConn, path string) (string, bool) {
	t.Helper()
	var req Request
	head := "GET " + path + " HTTP/1.1\r\nHost: b\r\n\r\n"
	if _, err := ParseRequest([]byte(head), Limits{}, &req); err != nil {
		t.Fatal(err)
	}
	c.W.Write(AppendRequestHead(nil, &req, &Forwarding{}))
	if err := c.W.Flush(); err != nil {
		t.Fatal(err)
	}
	var resp Response
	n, err := ParseResponse(peekHead(t, c), Limits{}, []byte("GET"), &resp)
	if err != nil {
		t.Fatal(err)
	}
	c.R.Discard(n)
	if resp.Body != BodyLength {
		t.Fatalf("got framing %v, want content-length", resp.Body)
	}
	var body ContentLengthReader
	body.Reset(c.R, resp.ContentLength)
	b, err := io.ReadAll(&body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), !resp.Close
}

// peekHead reads until the buffered bytes hold a complete response head.
func peekHead(t *testing.T, c *BackendConn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	for want := 1; ; want = c.R.Buffered() + 1 {
		if _, err := c.R.Peek(want); err != nil {
			t.Fatalf("reading response head: %v", err)
		}
		buf, _ := c.R.Peek(c.R.Buffered())
		var resp Response
		if _, err := ParseResponse(buf, Limits{}, []byte("GET"), &resp); err != ErrNeedMore {
			return buf
		}
	}
}

func TestPoolReusesKeepAliveConnections(t *testing.T) {
	b := startBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) })
	p := NewPool(PoolConfig{})
	defer p.CloseIdle()
	for i, path := range []string{"/one", "/two", "/three"} {
		c, reused, err := p.Get(context.Background(), b.addr)
		if err != nil {
			t.Fatal(err)
		}
		if reused != (i > 0) {
			t.Errorf("request %d: got reused=%v, want %v", i, reused, i > 0)
		}
		body, keep := exchange(t, c, path)
		if body != path || !keep {
			t.Fatalf("got %q keep=%v, want %q keep=true", body, keep, path)
		}
		p.Put(c)
	}
	if got := b.conns.Load(); got != 1 {
		t.Errorf("backend accepted %d connections, want 1", got)
	}
}

func TestPoolDropsConnectionsTheBackendClosed(t *testing.T) {
	b := startBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") })
	p := NewPool(PoolConfig{})
	defer p.CloseIdle()
	c, _, err := p.Get(context.Background(), b.addr)
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, c, "/")
	p.Put(c)
	b.srv.SetKeepAlivesEnabled(false) // closes idle connections
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c2, reused, err := p.Get(context.Background(), b.addr)
		if err != nil {
			t.Fatal(err)
		}
		if !reused {
			c2.Close()
			return
		}
		p.Put(c2) // the close has not reached us yet; try again shortly
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("got the closed connection back from the pool, want a new one")
}

func TestPoolIdleTimeoutAndCap(t *testing.T) {
	now := time.Unix(1000, 0)
	p := NewPool(PoolConfig{MaxIdlePerAddr: 2, IdleTimeout: time.Minute, Now: func() time.Time { return now }})
	b := startBackend(t, func(w http.ResponseWriter, r *http.Request) {})
	var conns []*BackendConn
	for range 3 {
		c, _, err := p.Get(context.Background(), b.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		p.Put(c)
	}
	if got := p.IdleCount(b.addr); got != 2 {
		t.Errorf("got %d idle, want the cap of 2", got)
	}
	now = now.Add(2 * time.Minute)
	c, reused, err := p.Get(context.Background(), b.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if reused || p.IdleCount(b.addr) != 0 {
		t.Errorf("got reused=%v idle=%d after the idle timeout, want a new connection and 0 idle", reused, p.IdleCount(b.addr))
	}
}

func TestPoolDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, _, err := NewPool(PoolConfig{}).Get(context.Background(), addr); err == nil {
		t.Fatal("got a connection to a closed port, want a dial error")
	}
}

// An idle connection lends its buffers back; one put back with bytes still buffered is closed
// with them, and the next Get dials instead of reusing it.
func TestPoolLendsBuffersOnlyToConnectionsInUse(t *testing.T) {
	b := startBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) })
	for _, tc := range []struct {
		name       string
		leftover   bool
		wantReused bool
	}{
		{"clean exchange", false, true},
		{"bytes left in the read buffer", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPool(PoolConfig{TrustIdle: time.Minute})
			defer p.CloseIdle()
			c, _, err := p.Get(context.Background(), b.addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, keep := exchange(t, c, "/x"); !keep {
				t.Fatal("backend closed the connection")
			}
			if tc.leftover {
				exchange(t, c, "/y")
				c.W.WriteString("GET /z HTTP/1.1\r\nHost: b\r\n\r\n")
				c.W.Flush()
				peekHead(t, c)
			}
			p.Put(c)
			if held := c.R != nil; held != tc.leftover {
				t.Fatalf("idle connection holds buffers: %v, want %v", held, tc.leftover)
			}
			c2, reused, err := p.Get(context.Background(), b.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			if reused != tc.wantReused || c2.R == nil || c2.W == nil {
				t.Fatalf("got reused=%v with buffers %v, want reused=%v with buffers", reused, c2.R != nil && c2.W != nil, tc.wantReused)
			}
		})
	}
}
