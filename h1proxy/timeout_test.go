package h1proxy

import (
	"strings"
	"testing"
	"time"
)

// shortTimeoutsYAML is oneBackendYAML with short client timeouts.
var shortTimeoutsYAML = strings.Replace(oneBackendYAML, "    routes:", "    timeouts: {read_header: 200ms, idle: 400ms}\n    routes:", 1)

// A client that sends part of a head and stalls (slowloris) is closed after read_header; an idle
// keep-alive client after idle. Both deadlines are netloop timers that resume a parked task.
func TestClientTimeoutsCloseStalledConnections(t *testing.T) {
	_, addr := startProxy(t, shortTimeoutsYAML, startBackend(t, sized))
	for _, tc := range []struct {
		name     string
		send     string
		min, max time.Duration
	}{
		{"partial head", "GET /10 HTTP/1.1\r\nHost: x\r\nX-Slow: ", 150 * time.Millisecond, 2 * time.Second},
		{"idle after a request", "GET /10 HTTP/1.1\r\nHost: x\r\n\r\n", 300 * time.Millisecond, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			start := time.Now()
			rc.send(t, tc.send)
			if strings.HasSuffix(tc.send, "\r\n\r\n") {
				if resp, _ := rc.response(t, "GET"); resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
			}
			rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if tc.name == "partial head" { // answered 408, then closed
				if resp, _ := rc.response(t, "GET"); resp.StatusCode != 408 || !resp.Close {
					t.Fatalf("partial head: status %d, close %v; want 408 and close", resp.StatusCode, resp.Close)
				}
			}
			_, err := rc.br.ReadByte()
			took := time.Since(start)
			if err == nil {
				t.Fatal("the proxy sent more instead of closing")
			}
			if took < tc.min || took > tc.max {
				t.Fatalf("closed after %v, want between %v and %v", took, tc.min, tc.max)
			}
		})
	}
}
