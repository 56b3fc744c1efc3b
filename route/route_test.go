package route_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/route"
)

// req is a route.Request built from literals.
type req struct {
	host, path, method string
	headers, query     map[string]string
	client             string
}

func (r req) Host() string   { return r.host }
func (r req) Path() string   { return r.path }
func (r req) Method() string { return r.method }
func (r req) Header(n string) (string, bool) {
	v, ok := r.headers[n]
	return v, ok
}
func (r req) Query(n string) (string, bool) {
	v, ok := r.query[n]
	return v, ok
}
func (r req) Client() netip.Addr {
	a, _ := netip.ParseAddr(r.client)
	return a
}

func TestMatcher(t *testing.T) {
	base := req{host: "api.example.com:8080", path: "/api/v2/users", method: "GET", client: "127.0.0.5",
		headers: map[string]string{"X-Env": "canary", "X-Trace": "abc123"}, query: map[string]string{"debug": "1", "flag": ""}}
	for _, tc := range []struct {
		name  string
		match config.Match
		want  bool
	}{
		{"host wildcard", config.Match{Host: []string{"*.example.com"}}, true},
		{"host other", config.Match{Host: []string{"example.org"}}, false},
		{"path_prefix segment", config.Match{PathPrefix: "/api"}, true},
		{"path_prefix not segment", config.Match{PathPrefix: "/ap"}, false},
		{"path exact", config.Match{Path: "/api/v2/users"}, true},
		{"path_regex hit", config.Match{PathRegex: `^/api/v[0-9]+/`}, true},
		{"path_regex miss", config.Match{PathRegex: `^/api/v1/`}, false},
		{"method", config.Match{Method: []string{"POST", "GET"}}, true},
		{"method miss", config.Match{Method: []string{"POST"}}, false},
		{"header exact", config.Match{Headers: map[string]config.StringMatch{"X-Env": {Exact: "canary"}}}, true},
		{"header exact miss", config.Match{Headers: map[string]config.StringMatch{"X-Env": {Exact: "prod"}}}, false},
		{"header regex", config.Match{Headers: map[string]config.StringMatch{"X-Trace": {Regex: "^abc[0-9]+$"}}}, true},
		{"header present", config.Match{Headers: map[string]config.StringMatch{"X-Trace": {Present: true}}}, true},
		{"header present miss", config.Match{Headers: map[string]config.StringMatch{"X-User": {Present: true}}}, false},
		{"header absent", config.Match{Headers: map[string]config.StringMatch{"X-User": {Absent: true}}}, true},
		{"header absent miss", config.Match{Headers: map[string]config.StringMatch{"X-Env": {Absent: true}}}, false},
		{"query exact", config.Match{Query: map[string]config.StringMatch{"debug": {Exact: "1"}}}, true},
		{"query regex miss", config.Match{Query: map[string]config.StringMatch{"debug": {Regex: "^[a-z]+$"}}}, false},
		{"query present empty value", config.Match{Query: map[string]config.StringMatch{"flag": {Present: true}}}, true},
		{"query absent", config.Match{Query: map[string]config.StringMatch{"nope": {Absent: true}}}, true},
		{"client_cidr", config.Match{ClientCIDR: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/29")}}, true},
		{"client_cidr miss", config.Match{ClientCIDR: []netip.Prefix{netip.MustParsePrefix("127.0.1.0/24")}}, false},
		{"all together", config.Match{Host: []string{"api.example.com"}, PathPrefix: "/api", Method: []string{"GET"},
			Headers: map[string]config.StringMatch{"X-Env": {Exact: "canary"}}, Query: map[string]config.StringMatch{"debug": {Present: true}},
			ClientCIDR: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := route.Compile(&tc.match, nil)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := m.Match(base); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for name, m := range map[string]config.Match{
		"bad regex":      {PathRegex: "(("},
		"bad header re":  {Headers: map[string]config.StringMatch{"X": {Regex: "["}}},
		"geo without db": {Geo: &config.GeoMatch{Country: []string{"DE"}}},
	} {
		if _, err := route.Compile(&m, nil); err == nil {
			t.Errorf("%s: Compile succeeded, want an error", name)
		}
	}
}

func TestSplitShares(t *testing.T) {
	s := route.NewSplit([]config.SplitTarget{{Pool: "stable", Weight: 95}, {Pool: "canary", Weight: 5}, {Pool: "off", Weight: 0}}, false)
	counts := map[string]int{}
	for r := range uint64(1000) {
		counts[s.Pool(s.Pick(r))]++
	}
	if counts["stable"] != 950 || counts["canary"] != 50 || counts["off"] != 0 {
		t.Errorf("over 1000 consecutive numbers got %v, want stable 950, canary 50, off 0", counts)
	}
}

func TestRewrite(t *testing.T) {
	for _, tc := range []struct {
		strip, replace, path, want string
	}{
		{"/api", "", "/api/users", "/users"},
		{"/api", "", "/api", "/"},
		{"/api/", "", "/api/users", "/users"},
		{"/api", "", "/apix/users", "/apix/users"},
		{"/api", "/v2", "/api/users", "/v2/users"},
		{"/api", "/v2/", "/api", "/v2/"},
		{"", "/prefix", "/x", "/prefix/x"},
	} {
		a := route.CompileAction(config.Route{Pool: "p", Rewrite: &config.Rewrite{StripPrefix: tc.strip, ReplacePrefix: tc.replace}})
		if got := a.Rewrite.Apply(tc.path); got != tc.want {
			t.Errorf("strip %q replace %q: Apply(%q) = %q, want %q", tc.strip, tc.replace, tc.path, got, tc.want)
		}
	}
}

func TestRedirectLocation(t *testing.T) {
	for _, tc := range []struct {
		rd   config.Redirect
		want string
	}{
		{config.Redirect{Scheme: "https"}, "https://a.example:80/p?q=1"},
		{config.Redirect{Host: "b.example"}, "http://b.example/p?q=1"},
		{config.Redirect{Path: "/new"}, "http://a.example:80/new?q=1"},
	} {
		a := route.CompileAction(config.Route{Redirect: &tc.rd})
		if got := a.Redirect.Location("http", "a.example:80", "/p", "q=1"); got != tc.want {
			t.Errorf("%+v: Location = %q, want %q", tc.rd, got, tc.want)
		}
		if a.Redirect.Status != 302 {
			t.Errorf("default status = %d, want 302", a.Redirect.Status)
		}
	}
}

func TestHeaderEdit(t *testing.T) {
	a := route.CompileAction(config.Route{Pool: "p", RequestHeaders: &config.HeaderEdit{
		Set: map[string]string{"X-Env": "prod"}, Add: map[string]string{"X-Tag": "b"}, Remove: []string{"X-Secret"}}})
	h := http.Header{"X-Env": {"dev"}, "X-Tag": {"a"}, "X-Secret": {"s"}}
	a.RequestHeaders.Apply(h)
	want := http.Header{"X-Env": {"prod"}, "X-Tag": {"a", "b"}}
	if len(h) != len(want) || h.Get("X-Env") != "prod" || len(h.Values("X-Tag")) != 2 || h.Get("X-Secret") != "" {
		t.Errorf("got %v, want %v", h, want)
	}
}

func TestMirrorSample(t *testing.T) {
	a := route.CompileAction(config.Route{Pool: "p", Mirror: &config.Mirror{Pool: "shadow", Percent: 10}})
	hits := 0
	for r := range uint64(1_000_000) {
		if a.Mirror.Sample(r) {
			hits++
		}
	}
	if hits != 100_000 {
		t.Errorf("10%% of 1e6 consecutive numbers: got %d, want 100000", hits)
	}
	if got := a.Pools(); len(got) != 2 || got[0] != "p" || got[1] != "shadow" {
		t.Errorf("Pools() = %v, want [p shadow]", got)
	}
}
