package h1proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/config"
)

// actionsYAML has one route per action; the backend is the echoFields handler.
const actionsYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - match: {path_prefix: /edit}
        pool: app
        request_headers: {set: {X-Env: prod}, add: {x-tag: fulcrum}, remove: [X-Secret]}
        response_headers: {set: {X-Backend: masked}, add: {X-Route: edit}, remove: [x-private]}
      - match: {path_prefix: /svc}
        pool: app
        rewrite: {strip_prefix: /svc, replace_prefix: /v2}
      - match: {headers: {X-Rewrite: strip}}
        pool: app
        rewrite: {strip_prefix: /api/}
      - match: {path: /health}
        respond: {status: 204}
      - match: {path: /hello}
        respond: {body: "hi there"}
        response_headers: {set: {X-Answered-By: fulcrum}}
      - match: {path: /json}
        respond: {status: 503, body: "{}"}
        response_headers: {set: {Content-Type: application/json}}
      - match: {path_prefix: /old}
        redirect: {status: 301, scheme: https, path: /new}
      - match: {path_prefix: /moved}
        redirect: {host: "new.example:8443"}
        response_headers: {set: {Cache-Control: no-store}}
      - pool: app
pools:
  - name: app
    backends:
      - address: "BACKEND"
`

// echoFields reports the X-Env, X-Tag and X-Secret fields it received (values joined by "|")
// and sends fields for the response edits to change.
func echoFields(w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{"X-Env", "X-Tag", "X-Secret"} {
		w.Header().Set(name+"-Seen", strings.Join(r.Header.Values(name), "|"))
	}
	w.Header().Set("Echo-Path", r.URL.RequestURI())
	w.Header().Set("X-Backend", "b1")
	w.Header().Set("X-Private", "p")
	w.Write([]byte("from backend"))
}

func TestHeaderEdits(t *testing.T) {
	_, addr := startProxy(t, actionsYAML, startBackend(t, echoFields))
	for _, tc := range []struct {
		name    string
		request string
		want    map[string]string
	}{
		{name: "request fields set, added and removed",
			request: "GET /edit HTTP/1.1\r\nHost: x\r\nx-env: dev\r\nX-Tag: client\r\nx-secret: s\r\nX-Secret: t\r\n\r\n",
			want:    map[string]string{"X-Env-Seen": "prod", "X-Tag-Seen": "client|fulcrum", "X-Secret-Seen": ""}},
		{name: "fields the client did not send are set and added",
			request: "GET /edit HTTP/1.1\r\nHost: x\r\n\r\n",
			want:    map[string]string{"X-Env-Seen": "prod", "X-Tag-Seen": "fulcrum"}},
		{name: "response fields set, added and removed",
			request: "GET /edit HTTP/1.1\r\nHost: x\r\n\r\n",
			want:    map[string]string{"X-Backend": "masked", "X-Route": "edit", "X-Private": ""}},
		{name: "another route is not edited",
			request: "GET /plain HTTP/1.1\r\nHost: x\r\nX-Env: dev\r\nX-Secret: s\r\n\r\n",
			want:    map[string]string{"X-Env-Seen": "dev", "X-Secret-Seen": "s", "X-Backend": "b1", "X-Private": "p", "X-Route": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			rc.send(t, tc.request)
			resp, body := rc.response(t, "GET")
			if resp.StatusCode != 200 || body != "from backend" {
				t.Fatalf("got %d %q, want 200 \"from backend\"", resp.StatusCode, body)
			}
			for name, want := range tc.want {
				if got := strings.Join(resp.Header.Values(name), "|"); got != want {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestRewrite(t *testing.T) {
	_, addr := startProxy(t, actionsYAML, startBackend(t, echoFields))
	for _, tc := range []struct {
		name, request, wantPath string
	}{
		{name: "prefix replaced, query kept", request: "GET /svc/users?id=7 HTTP/1.1\r\nHost: x\r\n\r\n", wantPath: "/v2/users?id=7"},
		{name: "whole path is the prefix", request: "GET /svc HTTP/1.1\r\nHost: x\r\n\r\n", wantPath: "/v2/"},
		{name: "absolute-form target", request: "GET http://x/svc/a?b HTTP/1.1\r\nHost: x\r\n\r\n", wantPath: "/v2/a?b"},
		{name: "with a body", request: "POST /svc/p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", wantPath: "/v2/p"},
		{name: "strip only", request: "GET /api/x HTTP/1.1\r\nHost: x\r\nX-Rewrite: strip\r\n\r\n", wantPath: "/x"},
		{name: "strip on a segment boundary only", request: "GET /apix HTTP/1.1\r\nHost: x\r\nX-Rewrite: strip\r\n\r\n", wantPath: "/apix"},
		{name: "strip leaves a slash", request: "GET /api HTTP/1.1\r\nHost: x\r\nX-Rewrite: strip\r\n\r\n", wantPath: "/"},
		{name: "escaped path keeps its escapes", request: "GET /api/%7Ea%20b?q HTTP/1.1\r\nHost: x\r\nX-Rewrite: strip\r\n\r\n", wantPath: "/%7Ea%20b?q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			rc.send(t, tc.request)
			resp, body := rc.response(t, "GET")
			if got := resp.Header.Get("Echo-Path"); resp.StatusCode != 200 || body != "from backend" || got != tc.wantPath {
				t.Errorf("got %d %q at %q, want 200 \"from backend\" at %q", resp.StatusCode, body, got, tc.wantPath)
			}
		})
	}
}

// TestAnswers sends requests to routes that answer themselves, two per connection so that
// keep-alive is checked too.
func TestAnswers(t *testing.T) {
	_, addr := startProxy(t, actionsYAML, startBackend(t, echoFields))
	for _, tc := range []struct {
		name, method, target string
		wantStatus           int
		wantBody             string
		want                 map[string]string // "" for an absent field
	}{
		{name: "respond without body", method: "GET", target: "/health", wantStatus: 204,
			want: map[string]string{"Content-Length": "", "Content-Type": ""}},
		{name: "respond with body and edits", method: "GET", target: "/hello", wantStatus: 200, wantBody: "hi there",
			want: map[string]string{"Content-Length": "8", "Content-Type": "text/plain; charset=utf-8", "X-Answered-By": "fulcrum"}},
		{name: "respond to HEAD", method: "HEAD", target: "/hello", wantStatus: 200,
			want: map[string]string{"Content-Length": "8", "X-Answered-By": "fulcrum"}},
		{name: "respond with the edits' Content-Type", method: "GET", target: "/json", wantStatus: 503, wantBody: "{}",
			want: map[string]string{"Content-Type": "application/json"}},
		{name: "redirect to another scheme and path keeps the query", method: "GET", target: "/old/page?x=1", wantStatus: 301,
			want: map[string]string{"Location": "https://example.test/new?x=1", "Content-Length": "0"}},
		{name: "redirect to another host keeps the escaped path", method: "GET", target: "/moved/a%20b?q=%2F", wantStatus: 302,
			want: map[string]string{"Location": "http://new.example:8443/moved/a%20b?q=%2F", "Cache-Control": "no-store"}},
		{name: "redirect of an absolute-form request", method: "GET", target: "http://example.test/old?y", wantStatus: 301,
			want: map[string]string{"Location": "https://example.test/new?y"}},
		{name: "redirect to HEAD", method: "HEAD", target: "/old", wantStatus: 301,
			want: map[string]string{"Location": "https://example.test/new", "Content-Length": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			for range 2 {
				rc.send(t, tc.method+" "+tc.target+" HTTP/1.1\r\nHost: example.test\r\n\r\n")
				resp, body := rc.response(t, tc.method)
				if resp.StatusCode != tc.wantStatus || body != tc.wantBody {
					t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
				}
				if resp.Header.Get("Date") == "" {
					t.Errorf("Date: got none, want one")
				}
				for name, want := range tc.want {
					if got := resp.Header.Get(name); got != want {
						t.Errorf("%s: got %q, want %q", name, got, want)
					}
				}
			}
		})
	}
}

// TestAnsweredBodiesAreSkipped checks that the body of a request answered without a backend is
// read past, so the connection carries the next request, unless it is too large to read.
func TestAnsweredBodiesAreSkipped(t *testing.T) {
	_, addr := startProxy(t, actionsYAML, startBackend(t, echoFields))
	for _, tc := range []struct {
		name, request string
		wantClosed    bool
	}{
		{name: "Content-Length body", request: "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"},
		{name: "chunked body", request: "POST /old HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{name: "body over 256 KiB", request: "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 262145\r\n\r\n", wantClosed: true},
		{name: "body the client holds back for 100 Continue", request: "POST /hello HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", wantClosed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			rounds := 2
			if tc.wantClosed {
				rounds = 1
			}
			for range rounds {
				rc.send(t, tc.request)
				if resp, _ := rc.response(t, "POST"); resp.StatusCode >= 400 {
					t.Fatalf("got %d, want an answer from the route", resp.StatusCode)
				}
			}
			if closed := rc.closed(); closed != tc.wantClosed {
				t.Errorf("connection closed: got %v, want %v", closed, tc.wantClosed)
			}
		})
	}
}

// TestUnsupportedNamesWhatFallsBack checks which route actions send a listener to package l7.
func TestUnsupportedNamesWhatFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name, route, want string
		// edit changes the parsed route, for values config validation refuses in a file
		// (control characters) but a Config built in code could still hold.
		edit func(*config.Route)
	}{
		{name: "plain pool", route: `pool: app`, want: ""},
		{name: "header edits", route: `{pool: app, request_headers: {set: {X-A: "1"}, remove: [X-B]}, response_headers: {add: {X-C: "2"}}}`, want: ""},
		{name: "request edit of a forwarding field", route: `{pool: app, request_headers: {set: {x-forwarded-for: "1.2.3.4"}}}`, want: "route request_headers edit of x-forwarded-for"},
		{name: "response edit of framing", route: `{pool: app, response_headers: {remove: [Content-Length]}}`, want: "route response_headers edit of Content-Length"},
		{name: "value with CR LF", route: `{pool: app, request_headers: {add: {X-A: "a"}}}`, want: "route request_headers value of X-A with a control character",
			edit: func(r *config.Route) { r.RequestHeaders.Add["X-A"] = "a\r\nEvil: 1" }},
		{name: "value with NUL", route: `{pool: app, response_headers: {set: {X-A: "a"}}}`, want: "route response_headers value of X-A with a control character",
			edit: func(r *config.Route) { r.ResponseHeaders.Set["X-A"] = "a\u0000" }},
		{name: "respond", route: `respond: {status: 204}`, want: ""},
		{name: "redirect", route: `redirect: {path: /x}`, want: ""},
		{name: "redirect path with LF", route: `redirect: {path: /x}`, want: "route redirect with a control character",
			edit: func(r *config.Route) { r.Redirect.Path = "/x\nSet-Cookie: a=b" }},
		{name: "rewrite", route: `{pool: app, rewrite: {replace_prefix: /v2}}`, want: ""},
		{name: "mirror", route: `{pool: app, mirror: {pool: app}}`, want: "route mirror"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := "listeners:\n  - name: web\n    listen: 127.0.0.1:0\n    routes:\n      - " + tc.route +
				"\npools:\n  - {name: app, backends: [{address: 127.0.0.1:1}]}\n"
			cfg, err := config.Parse("test.yaml", []byte(yaml))
			if err != nil {
				t.Fatalf("config: %v\n%s", err, yaml)
			}
			if tc.edit != nil {
				tc.edit(&cfg.Listeners[0].Routes[0])
			}
			if got := Unsupported(cfg, cfg.Listeners[0]); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
