package l7_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/l7"
	"github.com/fulcrum-lb/fulcrum/loopback"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// TestStopAcceptingClosesTheListenerAndIdleConnections: after StopAccepting, a keep-alive
// connection waiting for its next request is closed and no new connection is accepted.
func TestStopAcceptingClosesTheListenerAndIdleConnections(t *testing.T) {
	backend := startBackend(t, "a")
	yaml := "listeners:\n  - name: web\n    listen: 127.0.0.1:0\n    routes: [{pool: app}]\n" +
		"pools:\n  - name: app\n    backends: [{address: \"" + backend.addr + "\"}]\n"
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := runtime.New(logger)
	if _, err := rt.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	ln := loopback.Listen(t)
	s := l7.New("web", rt.Snapshot, l7.NewTransports(), logger)
	go s.Serve(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("before StopAccepting: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	s.StopAccepting()
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := br.ReadByte(); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("the idle keep-alive connection is still open after StopAccepting (%v)", err)
	}
	if c2, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c2.Close()
		t.Error("a new connection was accepted after StopAccepting")
	}
}
