package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// This file validates the L7 traffic policy: the richer match conditions (path_regex,
// headers and query forms, client_cidr, geo), route actions (split, mirror, header edits,
// rewrite, redirect, respond), pool affinity, backend TLS and protocol, listener TLS and
// the top-level geoip database. validatePolicy runs after the core checks.

// Policy limits and defaults.
const (
	defaultAffinityCookie = "FULCRUM_AFFINITY"
	minAffinityKey        = 16
	maxRespondBody        = 64 << 10
)

var (
	redirectStatuses = []int{301, 302, 303, 307, 308}
	continents       = []string{"AF", "AN", "AS", "EU", "NA", "OC", "SA"}
	sameSiteValues   = []string{"lax", "strict", "none"}
	tlsVersions      = []string{"1.2", "1.3"}
	countryCode      = regexp.MustCompile(`^[A-Z]{2}$`)
	cookieName       = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
	// mmdbMarker starts the metadata section at the end of every MaxMind DB file.
	mmdbMarker = []byte("\xab\xcd\xefMaxMind.com")
)

// validatePolicy checks every policy setting and fills its defaults.
func validatePolicy(c *checker, cfg *Config) {
	resolveFiles(filepath.Dir(c.file), cfg)
	validateGeoIP(c, cfg.GeoIP)
	pools := map[string]bool{}
	for i := range cfg.Pools {
		pools[cfg.Pools[i].Name] = true
		validatePoolPolicy(c, indexPath("pools", i), &cfg.Pools[i])
	}
	for i := range cfg.Listeners {
		validateListenerPolicy(c, indexPath("listeners", i), &cfg.Listeners[i], cfg.GeoIP != nil, pools)
	}
}

// resolveFiles makes relative file names (certificates, CA bundles, the geoip database)
// relative to the directory of the configuration file, so a config works from any working
// directory.
func resolveFiles(dir string, cfg *Config) {
	resolve := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if cfg.GeoIP != nil {
		resolve(&cfg.GeoIP.Database)
	}
	for i := range cfg.Pools {
		if t := cfg.Pools[i].TLS; t != nil {
			resolve(&t.CA)
		}
	}
	for i := range cfg.Listeners {
		if t := cfg.Listeners[i].TLS; t != nil {
			resolve(&t.ClientCA)
			for j := range t.Certificates {
				resolve(&t.Certificates[j].Cert)
				resolve(&t.Certificates[j].Key)
			}
		}
	}
}

// validateGeoIP checks that the database exists and looks like a MaxMind DB file.
func validateGeoIP(c *checker, g *GeoIP) {
	if g == nil {
		return
	}
	path := "geoip.database"
	if g.Database == "" {
		c.errorf("geoip", "geoip.database is required")
		return
	}
	data, err := os.ReadFile(g.Database)
	switch {
	case err != nil:
		c.errorf(path, "geoip.database: %v", err)
	case !bytes.Contains(data[max(0, len(data)-128<<10):], mmdbMarker):
		c.errorf(path, "geoip.database %q is not a MaxMind DB file (no metadata marker)", g.Database)
	}
}

func validateListenerPolicy(c *checker, path string, l *Listener, haveGeo bool, pools map[string]bool) {
	validateListenerTLS(c, path, l)
	for i := range l.Routes {
		rp := indexPath(childPath(path, "routes"), i)
		r := &l.Routes[i]
		if r.Match != nil {
			validatePolicyMatch(c, childPath(rp, "match"), r.Match, l.Protocol, haveGeo)
		}
		validateRouteActions(c, rp, r, l.Protocol, pools)
	}
}

// hasPolicyConditions reports whether m sets any condition this file adds.
func (m *Match) hasPolicyConditions() bool {
	return m.PathRegex != "" || len(m.Query) > 0 || len(m.ClientCIDR) > 0 || m.Geo != nil
}

// answersItself reports whether a route needs no `pool`: it splits, redirects or responds.
func (r *Route) answersItself() bool {
	return len(r.Split) > 0 || r.Redirect != nil || r.Respond != nil
}

// poolNames lists every pool the route sends to: pool, split targets and mirror.
func (r *Route) poolNames() []string {
	names := []string{r.Pool}
	for _, t := range r.Split {
		names = append(names, t.Pool)
	}
	if r.Mirror != nil {
		names = append(names, r.Mirror.Pool)
	}
	return names
}

func isHTTPListener(protocol string) bool { return protocol == "http" || protocol == "https" }

// validatePolicyMatch checks the conditions added by the policy.
func validatePolicyMatch(c *checker, path string, m *Match, protocol string, haveGeo bool) {
	if !isHTTPListener(protocol) {
		for key, set := range map[string]bool{"path_regex": m.PathRegex != "", "query": len(m.Query) > 0,
			"client_cidr": len(m.ClientCIDR) > 0, "geo": m.Geo != nil} {
			if set {
				c.errorf(childPath(path, key), "match.%s does not apply to %s listeners", key, protocol)
			}
		}
	}
	checkRegex(c, childPath(path, "path_regex"), m.PathRegex)
	for _, name := range sortedKeys(m.Headers) {
		checkStringMatch(c, childPath(childPath(path, "headers"), name), m.Headers[name])
	}
	for _, name := range sortedKeys(m.Query) {
		checkStringMatch(c, childPath(childPath(path, "query"), name), m.Query[name])
	}
	if m.Geo != nil {
		checkGeoMatch(c, childPath(path, "geo"), m.Geo, haveGeo)
	}
}

func checkRegex(c *checker, path, expr string) {
	if expr == "" {
		return
	}
	_, err := regexp.Compile(expr)
	var se *syntax.Error
	if errors.As(err, &se) {
		c.errorf(path, "%s %q is not a valid RE2 expression: %s", lastElem(path), expr, se.Code)
	}
}

// checkStringMatch reports a match mapping that does not set exactly one form.
func checkStringMatch(c *checker, path string, m StringMatch) {
	forms := 0
	for _, set := range []bool{m.Exact != "" || c.has(childPath(path, "exact")), m.Regex != "", m.Present, m.Absent} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		c.errorf(path, "%s: want a value, or exactly one of regex, present: true, absent: true", lastElem(path))
		return
	}
	checkRegex(c, childPath(path, "regex"), m.Regex)
}

func checkGeoMatch(c *checker, path string, g *GeoMatch, haveGeo bool) {
	if !haveGeo {
		c.errorf(path, "match.geo needs a top-level geoip database")
	}
	if len(g.Country) == 0 && len(g.Continent) == 0 {
		c.errorf(path, "match.geo needs country or continent")
	}
	for i, cc := range g.Country {
		if !countryCode.MatchString(cc) {
			c.errorf(indexPath(childPath(path, "country"), i), "country %q is not an upper-case ISO 3166 code like DE", cc)
		}
	}
	for i, cc := range g.Continent {
		if !slices.Contains(continents, cc) {
			c.errorf(indexPath(childPath(path, "continent"), i), "continent %q: want one of %s", cc, strings.Join(continents, ", "))
		}
	}
}

// validateRouteActions checks that a route does one thing (pool, split, redirect or
// respond) and that each action is well formed.
func validateRouteActions(c *checker, path string, r *Route, protocol string, pools map[string]bool) {
	checkOneAction(c, path, r)
	if !isHTTPListener(protocol) {
		checkNoHTTPActions(c, path, r, protocol)
		return
	}
	checkSplit(c, path, r, pools)
	if r.Mirror != nil {
		checkMirror(c, childPath(path, "mirror"), r.Mirror, pools)
	}
	checkHeaderEdit(c, childPath(path, "request_headers"), r.RequestHeaders)
	checkHeaderEdit(c, childPath(path, "response_headers"), r.ResponseHeaders)
	if r.Rewrite != nil {
		checkRewrite(c, childPath(path, "rewrite"), r.Rewrite)
	}
	if r.Redirect != nil {
		checkRedirect(c, childPath(path, "redirect"), r.Redirect)
	}
	if r.Respond != nil {
		checkRespond(c, childPath(path, "respond"), r.Respond)
	}
}

// checkOneAction reports a route that names more than one of pool, split, redirect, respond.
func checkOneAction(c *checker, path string, r *Route) {
	var set []string
	for _, a := range []struct {
		key string
		on  bool
	}{{"pool", r.Pool != ""}, {"split", len(r.Split) > 0}, {"redirect", r.Redirect != nil}, {"respond", r.Respond != nil}} {
		if a.on {
			set = append(set, a.key)
		}
	}
	if len(set) > 1 {
		c.errorf(childPath(path, set[1]), "route has both %s and %s; give exactly one", set[0], set[1])
	}
	if r.SplitSticky && len(r.Split) == 0 {
		c.errorf(childPath(path, "split_sticky"), "split_sticky needs split")
	}
}

func checkNoHTTPActions(c *checker, path string, r *Route, protocol string) {
	for key, set := range map[string]bool{"split": len(r.Split) > 0, "mirror": r.Mirror != nil,
		"request_headers": r.RequestHeaders != nil, "response_headers": r.ResponseHeaders != nil,
		"rewrite": r.Rewrite != nil, "redirect": r.Redirect != nil, "respond": r.Respond != nil} {
		if set {
			c.errorf(childPath(path, key), "%s does not apply to %s listeners", key, protocol)
		}
	}
}

func checkSplit(c *checker, path string, r *Route, pools map[string]bool) {
	total := 0
	for i, t := range r.Split {
		tp := indexPath(childPath(path, "split"), i)
		checkPoolName(c, childPath(tp, "pool"), t.Pool, pools)
		checkNotNegative(c, childPath(tp, "weight"), t.Weight)
		total += max(t.Weight, 0)
	}
	if len(r.Split) > 0 && total == 0 {
		c.errorf(childPath(path, "split"), "split weights add up to 0; at least one must be positive")
	}
}

func checkPoolName(c *checker, path, pool string, pools map[string]bool) {
	switch {
	case pool == "":
		c.errorf(path, "%s needs a pool", parentElem(path))
	case !pools[pool]:
		c.errorf(path, "pool %q does not exist", pool)
	}
}

// parentElem is the key above path's last element, for messages ("split[0]").
func parentElem(path string) string { return lastElem(parentPath(path)) }

func checkMirror(c *checker, path string, m *Mirror, pools map[string]bool) {
	checkPoolName(c, childPath(path, "pool"), m.Pool, pools)
	if !c.has(childPath(path, "percent")) {
		m.Percent = 100
	}
	if m.Percent <= 0 || m.Percent > 100 {
		c.errorf(childPath(path, "percent"), "percent must be above 0 and at most 100, got %g", m.Percent)
	}
}

func checkHeaderEdit(c *checker, path string, e *HeaderEdit) {
	if e == nil {
		return
	}
	for _, key := range []string{"set", "add"} {
		m := e.Set
		if key == "add" {
			m = e.Add
		}
		for _, name := range sortedKeys(m) {
			checkHeaderName(c, childPath(childPath(path, key), name), name)
			if hasControl(m[name], true) {
				c.errorf(childPath(childPath(path, key), name), "header %s: value %q has a control character (CR, LF, NUL...)", name, m[name])
			}
		}
	}
	for i, name := range e.Remove {
		checkHeaderName(c, indexPath(childPath(path, "remove"), i), name)
	}
}

func checkHeaderName(c *checker, path, name string) {
	if !headerToken.MatchString(name) {
		c.errorf(path, "%q is not a valid header name", name)
	}
}

func checkRewrite(c *checker, path string, r *Rewrite) {
	if r.StripPrefix == "" && r.ReplacePrefix == "" {
		c.errorf(path, "rewrite needs strip_prefix or replace_prefix")
	}
	checkMatchPath(c, childPath(path, "strip_prefix"), r.StripPrefix)
	checkMatchPath(c, childPath(path, "replace_prefix"), r.ReplacePrefix)
}

func checkRedirect(c *checker, path string, r *Redirect) {
	if !c.has(childPath(path, "status")) {
		r.Status = 302
	}
	if !slices.Contains(redirectStatuses, r.Status) {
		c.errorf(childPath(path, "status"), "redirect status %d: want 301, 302, 303, 307 or 308", r.Status)
	}
	if r.Scheme != "" {
		checkOneOf(c, childPath(path, "scheme"), r.Scheme, []string{"http", "https"})
	}
	if r.Host != "" && !validHost(hostOnly(r.Host)) {
		c.errorf(childPath(path, "host"), "redirect host %q is not host or host:port", r.Host)
	}
	checkMatchPath(c, childPath(path, "path"), r.Path)
	if r.Scheme == "" && r.Host == "" && r.Path == "" {
		c.errorf(path, "redirect needs scheme, host or path")
	}
}

// hostOnly drops a ":port" suffix.
func hostOnly(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i]
	}
	return hostport
}

func checkRespond(c *checker, path string, r *Respond) {
	if !c.has(childPath(path, "status")) {
		r.Status = 200
	}
	checkRange(c, childPath(path, "status"), r.Status, 200, 599)
	if len(r.Body) > maxRespondBody {
		c.errorf(childPath(path, "body"), "respond body is %d bytes; at most %d", len(r.Body), maxRespondBody)
	}
}

// validatePoolPolicy checks affinity, backend TLS, protocol and the grpc health check.
func validatePoolPolicy(c *checker, path string, p *Pool) {
	if p.Affinity != nil {
		checkAffinity(c, childPath(path, "affinity"), p.Affinity)
	}
	if p.TLS != nil && p.TLS.CA != "" {
		checkCAFile(c, childPath(childPath(path, "tls"), "ca"), p.TLS.CA)
	}
	if p.Protocol != "" && checkOneOf(c, childPath(path, "protocol"), p.Protocol, BackendProtocols) {
		checkProtocolTLS(c, path, p)
	}
	if p.HealthCheck.Service != "" && p.HealthCheck.Type != "grpc" {
		c.errorf(childPath(path, "health_check.service"), "health_check.service only applies to type grpc, not %s", p.HealthCheck.Type)
	}
}

func checkProtocolTLS(c *checker, path string, p *Pool) {
	switch {
	case p.Protocol == "h2" && p.TLS == nil:
		c.errorf(childPath(path, "protocol"), "protocol h2 needs tls; use h2c for cleartext HTTP/2")
	case p.Protocol == "h2c" && p.TLS != nil:
		c.errorf(childPath(path, "protocol"), "protocol h2c is cleartext; with tls use h2")
	}
}

func checkAffinity(c *checker, path string, a *Affinity) {
	checkOneOf(c, childPath(path, "type"), a.Type, []string{"cookie"})
	if !c.has(childPath(path, "name")) {
		a.Name = defaultAffinityCookie
	}
	if !cookieName.MatchString(a.Name) {
		c.errorf(childPath(path, "name"), "cookie name %q is not a valid token", a.Name)
	}
	if len(a.Key) < minAffinityKey {
		c.errorf(childPath(path, "key"), "affinity key must be at least %d bytes, got %d", minAffinityKey, len(a.Key))
	}
	for i, k := range a.PreviousKeys {
		if len(k) < minAffinityKey {
			c.errorf(indexPath(childPath(path, "previous_keys"), i), "affinity key must be at least %d bytes, got %d", minAffinityKey, len(k))
		}
	}
	if a.TTL.Duration < 0 {
		c.errorf(childPath(path, "ttl"), "ttl must not be negative, got %s", a.TTL.Duration)
	}
	if a.SameSite != "" {
		checkOneOf(c, childPath(path, "same_site"), a.SameSite, sameSiteValues)
	}
}

// checkCAFile reports a CA bundle that cannot be read or holds no certificate.
func checkCAFile(c *checker, path, file string) {
	pem, err := os.ReadFile(file)
	if err != nil {
		c.errorf(path, "%s: %v", lastElem(path), err)
		return
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		c.errorf(path, "%s %q holds no PEM certificate", lastElem(path), file)
	}
}

// validateListenerTLS checks that https listeners, and only they, have certificates.
func validateListenerTLS(c *checker, path string, l *Listener) {
	tlsPath := childPath(path, "tls")
	switch {
	case l.Protocol == "https" && (l.TLS == nil || len(l.TLS.Certificates) == 0):
		c.errorf(tlsPath, "https listener %q needs tls.certificates", l.Name)
		return
	case l.Protocol != "https" && l.TLS != nil:
		c.errorf(tlsPath, "tls applies to https listeners, not %s", l.Protocol)
		return
	case l.TLS == nil:
		return
	}
	for i, cert := range l.TLS.Certificates {
		cp := indexPath(childPath(tlsPath, "certificates"), i)
		if _, err := tls.LoadX509KeyPair(cert.Cert, cert.Key); err != nil {
			c.errorf(cp, "certificate %q with key %q: %v", cert.Cert, cert.Key, err)
		}
	}
	if l.TLS.MinVersion != "" {
		checkOneOf(c, childPath(tlsPath, "min_version"), l.TLS.MinVersion, tlsVersions)
	}
	if l.TLS.ClientCA != "" {
		checkCAFile(c, childPath(tlsPath, "client_ca"), l.TLS.ClientCA)
	}
}

// sortedKeys returns m's keys in order, so problems come out in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hasControl reports whether s holds an ASCII control character (DEL included); tab counts
// only when tabOK is false. Such bytes in a header value or a path would split or corrupt
// the HTTP message fulcrum writes.
func hasControl(s string, tabOK bool) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && !(tabOK && b == '\t')) || b == 0x7f {
			return true
		}
	}
	return false
}
