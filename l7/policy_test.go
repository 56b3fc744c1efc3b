package l7_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/server"
)

const routesYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - match: {path: /lb-health}
        respond: {status: 204}
      - match: {path: /hello}
        respond: {body: "hi there"}
        response_headers: {set: {X-Answered-By: fulcrum}}
      - match: {path_prefix: /old}
        redirect: {status: 301, scheme: https, path: /new}
      - match: {path_regex: "^/re/[0-9]+$"}
        pool: a
      - match: {headers: {X-Env: canary}}
        pool: b
      - match: {headers: {X-Debug: {present: true}}}
        pool: c
      - match: {query: {debug: {regex: "^(1|true)$"}}}
        pool: c
      - match: {headers: {X-Block: {absent: true}}, client_cidr: [127.0.0.2/32]}
        pool: d
      - match: {path_prefix: /svc}
        pool: a
        rewrite: {strip_prefix: /svc, replace_prefix: /v2}
        request_headers: {set: {X-Env: prod}, add: {X-Tag: fulcrum}, remove: [X-Secret]}
        response_headers: {add: {X-Route: svc}, remove: [Echo-Proto]}
      - pool: e
pools:
  - {name: a, backends: [{address: "{{a}}"}]}
  - {name: b, backends: [{address: "{{b}}"}]}
  - {name: c, backends: [{address: "{{c}}"}]}
  - {name: d, backends: [{address: "{{d}}"}]}
  - {name: e, backends: [{address: "{{e}}"}]}
`

// TestRoutesAndActions sends one request per matcher and action through fulcrum, on each
// HTTP/1.1 engine.
func TestRoutesAndActions(t *testing.T) {
	var bs []*backend
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		bs = append(bs, startBackend(t, n))
	}
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) { testRoutesAndActions(t, startFulcrumOn(t, engine, routesYAML, bs...)) })
	}
}

func testRoutesAndActions(t *testing.T, srv *server.Server) {
	url := baseURL(srv, "web")
	for _, tc := range []struct {
		name       string
		from       string // client source address
		path       string
		headers    []string
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{name: "respond empty", path: "/lb-health", wantStatus: 204},
		{name: "respond body", path: "/hello", wantStatus: 200, wantBody: "hi there",
			wantHeader: map[string]string{"X-Answered-By": "fulcrum", "Content-Type": "text/plain; charset=utf-8"}},
		{name: "redirect", path: "/old/page?x=1", wantStatus: 301,
			wantHeader: map[string]string{"Location": "https://" + srv.Addr("web").String() + "/new?x=1"}},
		{name: "path_regex", path: "/re/42", wantStatus: 200, wantBody: "a"},
		{name: "path_regex miss", path: "/re/4x", wantStatus: 200, wantBody: "e"},
		{name: "header exact", path: "/", headers: []string{"X-Env", "canary"}, wantStatus: 200, wantBody: "b"},
		{name: "header exact miss", path: "/", headers: []string{"X-Env", "prod"}, wantStatus: 200, wantBody: "e"},
		{name: "header present", path: "/", headers: []string{"X-Debug", ""}, wantStatus: 200, wantBody: "c"},
		{name: "query regex", path: "/?debug=true", wantStatus: 200, wantBody: "c"},
		{name: "query regex miss", path: "/?debug=no", wantStatus: 200, wantBody: "e"},
		{name: "client_cidr", from: "127.0.0.2", path: "/", wantStatus: 200, wantBody: "d"},
		{name: "client_cidr header absent fails", from: "127.0.0.2", path: "/", headers: []string{"X-Block", "1"}, wantStatus: 200, wantBody: "e"},
		{name: "client_cidr other client", from: "127.0.0.3", path: "/", wantStatus: 200, wantBody: "e"},
		{name: "rewrite and header edits", path: "/svc/users?id=7", headers: []string{"X-Env", "dev", "X-Secret", "s", "X-Tag", "client"},
			wantStatus: 200, wantBody: "a", wantHeader: map[string]string{"Echo-Path": "/v2/users?id=7", "X-Env-Seen": "prod",
				"X-Secret-Seen": "", "X-Route": "svc", "Echo-Proto": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := client()
			if tc.from != "" {
				c = clientFrom(tc.from)
			}
			resp, body := do(t, c, newRequest(t, "GET", url+tc.path, tc.headers...))
			if resp.StatusCode != tc.wantStatus || body != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s: got %q, want %q", k, got, v)
				}
			}
		})
	}
	t.Run("request_headers add keeps the client's value", func(t *testing.T) {
		resp, _ := do(t, client(), newRequest(t, "GET", url+"/svc/x", "X-Tag", "client"))
		if got := resp.Header.Values("X-Tag-Seen"); len(got) != 2 || got[0] != "client" || got[1] != "fulcrum" {
			t.Errorf("X-Tag at the backend: got %q, want [client fulcrum]", got)
		}
	})
}

// TestAnswersAlikeOnBothEngines sends the same bytes to routes that answer themselves on each
// engine and compares what comes back: status, whether the connection closes, every field but
// Date, and body. The status line's version is not compared: fulcrum answers every request in
// HTTP/1.1 (RFC 9110 §6.2: a server sends its own version), net/http echoes an HTTP/1.0 one.
func TestAnswersAlikeOnBothEngines(t *testing.T) {
	var bs []*backend
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		bs = append(bs, startBackend(t, n))
	}
	l7srv, h1srv := startFulcrumOn(t, "net_http", routesYAML, bs...), startFulcrumOn(t, "fulcrum", routesYAML, bs...)
	for _, req := range []string{
		"GET /lb-health HTTP/1.1\r\nHost: example.test\r\n\r\n",
		"GET /hello HTTP/1.1\r\nHost: example.test\r\n\r\n",
		"HEAD /hello HTTP/1.1\r\nHost: example.test\r\n\r\n",
		"GET /hello HTTP/1.0\r\n\r\n",
		"GET /hello HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
		"GET /old/page?x=1 HTTP/1.1\r\nHost: example.test\r\n\r\n",
		"HEAD /old HTTP/1.1\r\nHost: example.test\r\n\r\n",
		"GET /old/a%20b/%7E?q=%2F&r HTTP/1.1\r\nHost: example.test:8080\r\n\r\n",
		"GET http://example.test/old? HTTP/1.1\r\nHost: example.test\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc",
		"POST /old HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: example.test\r\nContent-Length: 300000\r\n\r\n",
	} {
		method, _, _ := strings.Cut(req, " ")
		want := rawExchange(t, l7srv.Addr("web").String(), method, req)
		if got := rawExchange(t, h1srv.Addr("web").String(), method, req); got != want {
			t.Errorf("%q:\nfulcrum answered\n%s\nnet_http answered\n%s", req, got, want)
		}
	}
}

// rawExchange sends req on a new connection and returns the response's status line, its
// fields but Date in order, and its body, as text.
func rawExchange(t *testing.T, addr, method, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Header.Del("Date")
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/%d.x %s close=%v length=%d\n", resp.ProtoMajor, resp.Status, resp.Close, resp.ContentLength)
	resp.Header.Write(&b)
	return b.String() + string(body)
}

// TestSplit95 checks a 95/5 split over 20000 sequential keep-alive requests.
func TestSplit95(t *testing.T) {
	t.Parallel() // long: runs beside the rest of the package
	stable, canary := startBackend(t, "stable"), startBackend(t, "canary")
	srv := startFulcrum(t, `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - split: [{pool: stable, weight: 95}, {pool: canary, weight: 5}]
pools:
  - {name: stable, backends: [{address: "{{stable}}"}]}
  - {name: canary, backends: [{address: "{{canary}}"}]}
`, stable, canary)
	const n = 20000
	c, url := client(), baseURL(srv, "web")+"/"
	for range n {
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		drain(resp)
	}
	share := float64(canary.hits.Load()) / n
	if total := stable.hits.Load() + canary.hits.Load(); total != n {
		t.Fatalf("backends saw %d requests, want %d", total, n)
	}
	if math.Abs(share-0.05) > 0.01 {
		t.Errorf("canary share over %d requests: got %.4f, want 0.05 ± 0.01", n, share)
	}
	t.Logf("canary share %.4f (stable %d, canary %d)", share, stable.hits.Load(), canary.hits.Load())
}

// TestStickySplit keeps one client on one split target.
func TestStickySplit(t *testing.T) {
	x, y := startBackend(t, "x"), startBackend(t, "y")
	srv := startFulcrum(t, `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - split: [{pool: x, weight: 50}, {pool: y, weight: 50}]
        split_sticky: true
pools:
  - {name: x, backends: [{address: "{{x}}"}]}
  - {name: y, backends: [{address: "{{y}}"}]}
`, x, y)
	seen := map[string]map[string]bool{}
	for _, from := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"} {
		c := clientFrom(from)
		seen[from] = map[string]bool{}
		for range 20 {
			_, body := do(t, c, newRequest(t, "GET", baseURL(srv, "web")+"/"))
			seen[from][body] = true
		}
		if len(seen[from]) != 1 {
			t.Errorf("client %s reached %v, want one target", from, seen[from])
		}
	}
	if x.hits.Load() == 0 || y.hits.Load() == 0 {
		t.Errorf("6 clients all went to one side (x %d, y %d); want both used", x.hits.Load(), y.hits.Load())
	}
}

// TestMirrorHangingPoolDoesNotSlowPrimary mirrors every request to a pool that never answers.
func TestMirrorHangingPoolDoesNotSlowPrimary(t *testing.T) {
	primary, shadow := startBackend(t, "primary"), startBackend(t, "shadow")
	release := make(chan struct{})
	shadow.handle = func(w http.ResponseWriter, r *http.Request) { <-release }
	defer close(release)
	srv := startFulcrum(t, `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - pool: primary
        mirror: {pool: shadow, percent: 100}
pools:
  - {name: primary, backends: [{address: "{{primary}}"}]}
  - name: shadow
    backends: [{address: "{{shadow}}"}]
    timeouts: {response_header: 20s}
`, primary, shadow)
	c, url := client(), baseURL(srv, "web")+"/"
	const n = 300
	start := time.Now()
	var slowest time.Duration
	for range n {
		t0 := time.Now()
		resp, body := do(t, c, newRequest(t, "POST", url))
		if resp.StatusCode != 200 || body != "primary" {
			t.Fatalf("got %d %q, want 200 \"primary\"", resp.StatusCode, body)
		}
		slowest = max(slowest, time.Since(t0))
	}
	elapsed := time.Since(start)
	if slowest > time.Second {
		t.Errorf("slowest primary request took %v with a hanging mirror; want under 1s", slowest)
	}
	if got := shadow.hits.Load(); got == 0 || got > 64 {
		t.Errorf("shadow pool received %d mirrored requests, want 1..64 (slots bound them)", got)
	}
	t.Logf("%d requests in %v (slowest %v), shadow got %d", n, elapsed, slowest, shadow.hits.Load())
}

func drain(resp *http.Response) {
	buf := make([]byte, 512)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
	resp.Body.Close()
}
