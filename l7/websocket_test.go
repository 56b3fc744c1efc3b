package l7_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsEcho is a WebSocket echo handler.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	for {
		typ, msg, err := c.Read(r.Context())
		if err != nil {
			return
		}
		if err := c.Write(r.Context(), typ, msg); err != nil {
			return
		}
	}
}

// TestWebSocketTunnel keeps a WebSocket echo going through fulcrum for 30 s, and checks
// that the open tunnel counts as a connection for least_connections: while it is open,
// plain requests go to the other backend.
func TestWebSocketTunnel(t *testing.T) {
	t.Parallel() // long: runs beside the rest of the package
	w1, w2 := startBackend(t, "w1"), startBackend(t, "w2")
	for _, b := range []*backend{w1, w2} {
		name := b.name
		b.handle = func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") != "" {
				w.Header().Set("X-Backend", name)
				wsEcho(w, r)
				return
			}
			fmt.Fprint(w, name)
		}
	}
	srv := startFulcrum(t, `
listeners:
  - {name: web, listen: 127.0.0.1:0, routes: [{pool: ws}]}
pools:
  - {name: ws, algorithm: least_connections, backends: [{address: "{{w1}}"}, {address: "{{w2}}"}]}
`, w1, w2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws://"+srv.Addr("web").String()+"/chat", nil)
	if err != nil {
		t.Fatalf("dial through fulcrum: %v", err)
	}
	defer conn.CloseNow()
	tunnelTo := resp.Header.Get("X-Backend")
	state, _ := srv.Runtime().Registry().Lookup("ws", map[string]string{"w1": w1.addr, "w2": w2.addr}[tunnelTo])
	if state == nil || state.InFlight() != 1 {
		t.Fatalf("backend %s with an open tunnel: in flight %v, want 1", tunnelTo, state)
	}
	for i := range 20 {
		_, body := do(t, client(), newRequest(t, "GET", baseURL(srv, "web")+"/"))
		if body == tunnelTo {
			t.Fatalf("plain request %d went to %s, which holds the tunnel; want the idle backend", i, body)
		}
	}
	exchangeFor(t, ctx, conn, 30*time.Second)
	conn.Close(websocket.StatusNormalClosure, "done")
	waitUntil(t, "tunnel released", func() bool { return state.InFlight() == 0 })
}

// exchangeFor sends a message every 50 ms and checks each echo, for d.
func exchangeFor(t *testing.T, ctx context.Context, conn *websocket.Conn, d time.Duration) {
	t.Helper()
	n := 0
	for start := time.Now(); time.Since(start) < d; n++ {
		msg := fmt.Sprintf("message %d %s", n, strings.Repeat("x", n%100))
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatalf("write %d after %v: %v", n, time.Since(start), err)
		}
		_, got, err := conn.Read(ctx)
		if err != nil || string(got) != msg {
			t.Fatalf("echo %d after %v: got %q, %v; want %q", n, time.Since(start), got, err, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d messages echoed over %v", n, d)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
	}
}
