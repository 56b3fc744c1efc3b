package l7_test

import (
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/geo"
	"github.com/fulcrum-lb/fulcrum/geo/geotest"
	"github.com/fulcrum-lb/fulcrum/l7"
)

const affinityYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes: [{pool: app}]
pools:
  - name: app
    backends: [{address: "{{b1}}"}, {address: "{{b2}}"}, {address: "{{b3}}"}]
    affinity: {type: cookie, key: "test-key-0123456789", ttl: 1h, http_only: true, same_site: lax}
`

// TestCookieAffinity: a client with a cookie jar stays on one backend over 1000 requests,
// moves exactly once when that backend dies, and a forged cookie is ignored and counted.
func TestCookieAffinity(t *testing.T) {
	bs := []*backend{startBackend(t, "b1"), startBackend(t, "b2"), startBackend(t, "b3")}
	srv := startFulcrum(t, affinityYAML, bs...)
	url := baseURL(srv, "web") + "/"
	jar, _ := cookiejar.New(nil)
	c := client()
	c.Jar = jar
	var first string
	issued := 0
	for i := range 1000 {
		resp, body := do(t, c, newRequest(t, "GET", url))
		if i == 0 {
			first = body
		}
		if body != first {
			t.Fatalf("request %d went to %s, want %s (the cookie's backend)", i, body, first)
		}
		if sc := resp.Header.Get("Set-Cookie"); sc != "" {
			issued++
			if !strings.Contains(sc, "FULCRUM_AFFINITY=") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "Max-Age=3600") {
				t.Errorf("Set-Cookie %q: want FULCRUM_AFFINITY with HttpOnly and Max-Age=3600", sc)
			}
		}
	}
	if issued != 1 {
		t.Errorf("cookie issued %d times over 1000 requests, want 1", issued)
	}
	for _, b := range bs {
		if b.name == first {
			b.srv.Close()
		}
	}
	moves, prev := 0, first
	for range 200 {
		resp, body := do(t, c, newRequest(t, "GET", url))
		if resp.StatusCode != 200 {
			t.Fatalf("after %s died: got %d, want 200", first, resp.StatusCode)
		}
		if body != prev {
			moves++
			prev = body
		}
	}
	if moves != 1 || prev == first {
		t.Errorf("after %s died the client moved %d times, ending on %s; want exactly 1 move", first, moves, prev)
	}

	t.Run("forged cookie", func(t *testing.T) {
		before := l7.RejectedAffinityCookies()
		req := newRequest(t, "GET", url)
		req.AddCookie(&http.Cookie{Name: "FULCRUM_AFFINITY", Value: "abc.0.AAAAAAAAAAAAAAAAAAAAAA"})
		resp, _ := do(t, client(), req)
		if resp.StatusCode != 200 {
			t.Errorf("forged cookie: got status %d, want 200", resp.StatusCode)
		}
		if resp.Header.Get("Set-Cookie") == "" {
			t.Errorf("forged cookie: got no new cookie, want one issued")
		}
		if got := l7.RejectedAffinityCookies() - before; got != 1 {
			t.Errorf("rejected cookies counted: got %d, want 1", got)
		}
	})
}

// TestGeoRouting sends clients from two countries (named by a trusted proxy's
// X-Forwarded-For) to two pools; an untrusted peer's X-Forwarded-For is ignored.
func TestGeoRouting(t *testing.T) {
	db := filepath.Join(t.TempDir(), "geo.mmdb")
	if err := geotest.Write(db, map[string]geo.Location{
		"127.1.0.0/16": {Country: "DE", Continent: "EU"},
		"127.2.0.0/16": {Country: "US", Continent: "NA"},
		"127.3.0.0/16": {Country: "FR", Continent: "EU"},
	}); err != nil {
		t.Fatal(err)
	}
	de, us, other := startBackend(t, "de"), startBackend(t, "us"), startBackend(t, "other")
	srv := startFulcrum(t, `
geoip: {database: `+db+`}
listeners:
  - name: web
    listen: 127.0.0.1:0
    trusted_proxies: [127.0.0.1/32]
    routes:
      - {match: {geo: {country: [DE]}}, pool: de}
      - {match: {geo: {country: [US]}}, pool: us}
      - {match: {geo: {continent: [EU]}}, pool: de}
      - pool: other
pools:
  - {name: de, backends: [{address: "{{de}}"}]}
  - {name: us, backends: [{address: "{{us}}"}]}
  - {name: other, backends: [{address: "{{other}}"}]}
`, de, us, other)
	url := baseURL(srv, "web") + "/"
	for _, tc := range []struct {
		name, from, xff, want string
	}{
		{"trusted proxy, German client", "127.0.0.1", "127.1.2.3", "de"},
		{"trusted proxy, US client", "127.0.0.1", "127.2.2.3", "us"},
		{"trusted proxy, French client by continent", "127.0.0.1", "127.3.0.1", "de"},
		{"client-prepended entry is not believed", "127.0.0.1", "127.1.0.1, 127.2.0.9", "us"},
		{"trusted proxy, unknown client", "127.0.0.1", "127.9.0.1", "other"},
		{"untrusted peer's XFF is ignored", "127.0.0.7", "127.1.2.3", "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, body := do(t, clientFrom(tc.from), newRequest(t, "GET", url, "X-Forwarded-For", tc.xff))
			if body != tc.want {
				t.Errorf("got pool %q, want %q", body, tc.want)
			}
		})
	}
}
