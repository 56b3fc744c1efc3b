package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

const healthYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    trusted_proxies: [%s]
    routes:
      - pool: app
pools:
  - name: app
    when_all_down: %s
    backends:
      - address: "{{a}}"
      - address: "{{b}}"
    health_check: {type: http, path: /healthz, interval: 100ms, timeout: 100ms, rise: 1, fall: 1}
`

func TestNoHealthyBackendAnswers503WithRetryAfter(t *testing.T) {
	bs := []*testBackend{startBackend(t, "a"), startBackend(t, "b")}
	for _, b := range bs {
		b.unhealthy = true
	}
	srv, url := startFulcrum(t, fmt.Sprintf(healthYAML, "", "fail"), bs...)
	waitFor(t, "both backends down", 2*time.Second, func() bool { return !srv.Runtime().Snapshot().Pools["app"].AnyAvailable(time.Now().UnixNano()) })
	resp, err := newClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("got %d Retry-After=%q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(string(body), "no healthy backend") {
		t.Errorf("got body %q, want it to say there is no healthy backend", body)
	}
	if bs[0].Hits()+bs[1].Hits() != 0 {
		t.Errorf("backends got %d requests while down, want 0", bs[0].Hits()+bs[1].Hits())
	}
}

func TestPanicModeRoutesToAllWhenAllAreDown(t *testing.T) {
	bs := []*testBackend{startBackend(t, "a"), startBackend(t, "b")}
	for _, b := range bs {
		b.unhealthy = true
	}
	srv, url := startFulcrum(t, fmt.Sprintf(healthYAML, "", "route_all"), bs...)
	waitFor(t, "both backends down", 2*time.Second, func() bool { return !srv.Runtime().Snapshot().Pools["app"].AnyAvailable(time.Now().UnixNano()) })
	sendSequential(t, url, 10, nil)
	if got := hits(bs); got[0] != 5 || got[1] != 5 {
		t.Errorf("panic mode: got hits %v, want [5 5]", got)
	}
}

const retryYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - pool: app
pools:
  - name: app
    backends:
      - address: "{{a}}"
      - address: "{{b}}"
    retries: 1
`

// resetting makes a backend read the request, then drop the connection without answering.
func resetting(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	conn, _, _ := w.(http.Hijacker).Hijack()
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

func TestRetriesOnlyWhatIsSafe(t *testing.T) {
	for _, tc := range []struct {
		name       string
		method     string
		body       string
		wantStatus int
		wantB      int // requests the healthy backend b saw
	}{
		{name: "GET is retried on another backend", method: "GET", wantStatus: 200, wantB: 1},
		{name: "PUT with a small body is replayed", method: "PUT", body: "payload", wantStatus: 200, wantB: 1},
		{name: "POST is not retried after it was sent", method: "POST", body: "payload", wantStatus: 502, wantB: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := startBackend(t, "a"), startBackend(t, "b")
			a.handle = resetting
			var gotBody string
			b.handle = func(w http.ResponseWriter, r *http.Request) {
				data, _ := io.ReadAll(r.Body)
				gotBody = string(data)
			}
			_, url := startFulcrum(t, retryYAML, a, b)
			req, _ := http.NewRequest(tc.method, url, strings.NewReader(tc.body))
			resp, err := newClient().Do(req) // round robin starts at a
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || b.Hits() != tc.wantB {
				t.Errorf("got status %d and %d request(s) on b, want %d and %d", resp.StatusCode, b.Hits(), tc.wantStatus, tc.wantB)
			}
			if tc.wantB == 1 && gotBody != tc.body {
				t.Errorf("replayed body: got %q, want %q", gotBody, tc.body)
			}
		})
	}
}

func TestConnectFailureIsRetriedEvenForPOST(t *testing.T) {
	a, b := startBackend(t, "a"), startBackend(t, "b")
	_, url := startFulcrum(t, retryYAML, a, b)
	a.kill()
	for i := 0; i < 4; i++ {
		resp, err := newClient().Post(url, "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST %d: got %d, want 200 from the surviving backend", i, resp.StatusCode)
		}
	}
}

func TestForwardingHeaders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted string
		wantXFF string
	}{
		{name: "untrusted peer's X-Forwarded-For is replaced", trusted: "", wantXFF: "127.0.0.1"},
		{name: "trusted peer's X-Forwarded-For is kept and extended", trusted: "127.0.0.0/8", wantXFF: "203.0.113.7, 127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := startBackend(t, "a"), startBackend(t, "b")
			seen := make(chan http.Header, 1)
			var host string
			echo := func(w http.ResponseWriter, r *http.Request) {
				host = r.Host
				seen <- r.Header.Clone()
				w.Header().Set("Connection", "X-Secret")
				w.Header().Set("X-Secret", "hop")
			}
			a.handle, b.handle = echo, echo
			_, url := startFulcrum(t, fmt.Sprintf(healthYAML, tc.trusted, "fail"), a, b)
			req, _ := http.NewRequest("GET", url, nil)
			req.Host = "shop.example.com"
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			req.Header.Set("Connection", "X-Hop")
			req.Header.Set("X-Hop", "drop me")
			resp, err := newClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := <-seen
			if got := strings.Join(h.Values("X-Forwarded-For"), ", "); got != tc.wantXFF {
				t.Errorf("X-Forwarded-For: got %q, want %q", got, tc.wantXFF)
			}
			if h.Get("X-Hop") != "" || resp.Header.Get("X-Secret") != "" {
				t.Errorf("hop-by-hop headers leaked: request X-Hop=%q, response X-Secret=%q", h.Get("X-Hop"), resp.Header.Get("X-Secret"))
			}
			if host != "shop.example.com" || h.Get("X-Forwarded-Host") != "shop.example.com" {
				t.Errorf("Host: got %q (X-Forwarded-Host %q), want the client's shop.example.com", host, h.Get("X-Forwarded-Host"))
			}
			if h.Get("X-Forwarded-Proto") != "http" || !strings.Contains(h.Get("Via"), "fulcrum") {
				t.Errorf("got X-Forwarded-Proto %q, Via %q; want http and a Via naming fulcrum", h.Get("X-Forwarded-Proto"), h.Get("Via"))
			}
		})
	}
}

// forwarding_headers chooses what fulcrum adds: without x_forwarded the client's
// X-Forwarded-* pass through untouched (HAProxy without option forwardfor), without via no Via
// is added either way.
func TestForwardingHeadersCanBeLeftOut(t *testing.T) {
	for _, tc := range []struct {
		mode             string
		wantXFF, wantXFP string
		wantVia          bool
	}{
		{mode: "none", wantXFF: "203.0.113.7", wantXFP: "https"},
		{mode: "via", wantXFF: "203.0.113.7", wantXFP: "https", wantVia: true},
		{mode: "x_forwarded", wantXFF: "127.0.0.1", wantXFP: "http"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			a, b := startBackend(t, "a"), startBackend(t, "b")
			seen := make(chan http.Header, 1)
			echo := func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Clone() }
			a.handle, b.handle = echo, echo
			yaml := strings.Replace(fmt.Sprintf(healthYAML, "", "fail"), "    trusted_proxies:", "    forwarding_headers: "+tc.mode+"\n    trusted_proxies:", 1)
			_, url := startFulcrum(t, yaml, a, b)
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, err := newClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := <-seen
			if got := strings.Join(h.Values("X-Forwarded-For"), ", "); got != tc.wantXFF || h.Get("X-Forwarded-Proto") != tc.wantXFP {
				t.Errorf("X-Forwarded-For %q, -Proto %q; want %q, %q", got, h.Get("X-Forwarded-Proto"), tc.wantXFF, tc.wantXFP)
			}
			if (h.Get("Via") != "") != tc.wantVia || !tc.wantVia && resp.Header.Get("Via") != "" {
				t.Errorf("Via on the request %q, on the response %q; want Via: %v", h.Get("Via"), resp.Header.Get("Via"), tc.wantVia)
			}
		})
	}
}

func TestEventStreamIsFlushedPerWrite(t *testing.T) {
	a := startBackend(t, "a")
	a.handle = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		time.Sleep(700 * time.Millisecond)
		fmt.Fprint(w, "data: two\n\n")
	}
	b := startBackend(t, "b")
	b.handle = a.handle
	_, url := startFulcrum(t, retryYAML, a, b)
	start := time.Now()
	resp, err := newClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if took := time.Since(start); line != "data: one\n" || took > 500*time.Millisecond {
		t.Errorf("first event: got %q after %v, want \"data: one\" before the backend's second write (700ms)", line, took)
	}
}
