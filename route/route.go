// Package route owns routing decisions as plain data: matchers (pure predicates compiled
// once per snapshot from a route's `match` block and evaluated on every request without
// locks) and route actions (split, mirror, header edits, rewrite, redirect, respond). It
// does not import net/http: every HTTP engine adapts its request type to Request and
// applies an Action itself.
package route

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/geo"
)

// Request is the view of an HTTP request the matchers need; data paths adapt their own
// request types to it.
type Request interface {
	Host() string // as sent by the client, possibly with a port
	Path() string
	Method() string
	Header(name string) (string, bool)
	Query(name string) (string, bool) // first value of a query parameter, as sent
	// Client is the client's address: the peer's, or from X-Forwarded-For / PROXY when the
	// peer is a trusted proxy.
	Client() netip.Addr
}

// Matcher decides whether a route applies to a request. A nil *Matcher matches everything.
type Matcher struct {
	hosts      []HostPattern
	path       string
	pathPrefix string
	pathRegex  *regexp.Regexp
	methods    []string
	headers    []valueMatch
	query      []valueMatch
	cidrs      []netip.Prefix
	geo        *geoMatch
}

type geoMatch struct {
	db         *geo.DB
	countries  []string
	continents []string
}

// Compile builds a matcher from a match block; a nil block gives a nil (match-all) matcher.
// db answers geo conditions; a geo condition without a database is an error.
func Compile(m *config.Match, db *geo.DB) (*Matcher, error) {
	if m == nil {
		return nil, nil
	}
	c := &Matcher{path: m.Path, pathPrefix: strings.TrimSuffix(m.PathPrefix, "/"), methods: m.Method, cidrs: m.ClientCIDR}
	if m.PathPrefix == "/" {
		c.pathPrefix = "/"
	}
	for _, h := range m.Host {
		p, err := ParseHostPattern(h)
		if err != nil {
			return nil, err
		}
		c.hosts = append(c.hosts, p)
	}
	var err error
	if c.headers, err = compileValues(m.Headers); err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	if c.query, err = compileValues(m.Query); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if err := c.compilePolicy(m, db); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Matcher) compilePolicy(m *config.Match, db *geo.DB) error {
	if m.PathRegex != "" {
		re, err := regexp.Compile(m.PathRegex)
		if err != nil {
			return fmt.Errorf("path_regex: %w", err)
		}
		c.pathRegex = re
	}
	if m.Geo != nil {
		if db == nil {
			return fmt.Errorf("match.geo needs a geoip database")
		}
		c.geo = &geoMatch{db: db, countries: m.Geo.Country, continents: m.Geo.Continent}
	}
	return nil
}

// Match reports whether every condition holds for r. Cheap conditions are checked first;
// a geo lookup happens only when everything else holds.
func (m *Matcher) Match(r Request) bool {
	if m == nil {
		return true
	}
	return m.matchHost(r.Host()) && m.matchPath(r.Path()) && m.matchMethod(r.Method()) &&
		(len(m.headers) == 0 || matchValues(m.headers, r.Header)) &&
		(len(m.query) == 0 || matchValues(m.query, r.Query)) && m.matchClient(r)
}

func (m *Matcher) matchClient(r Request) bool {
	if len(m.cidrs) == 0 && m.geo == nil {
		return true
	}
	client := r.Client().Unmap()
	if len(m.cidrs) > 0 && !inAny(m.cidrs, client) {
		return false
	}
	return m.geo == nil || m.geo.match(client)
}

func inAny(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// match holds when the client's country or continent is listed.
func (g *geoMatch) match(client netip.Addr) bool {
	loc := g.db.Lookup(client)
	return (loc.Country != "" && contains(g.countries, loc.Country)) ||
		(loc.Continent != "" && contains(g.continents, loc.Continent))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (m *Matcher) matchHost(host string) bool {
	if len(m.hosts) == 0 {
		return true
	}
	host = StripPort(host)
	for _, p := range m.hosts {
		if p.Match(host) {
			return true
		}
	}
	return false
}

func (m *Matcher) matchPath(path string) bool {
	if m.path != "" && path != m.path {
		return false
	}
	if m.pathPrefix != "" && !HasPathPrefix(path, m.pathPrefix) {
		return false
	}
	return m.pathRegex == nil || m.pathRegex.MatchString(path)
}

func (m *Matcher) matchMethod(method string) bool {
	if len(m.methods) == 0 {
		return true
	}
	for _, x := range m.methods {
		if x == method {
			return true
		}
	}
	return false
}

// HasPathPrefix reports whether path starts with prefix on a segment boundary: "/api" matches
// "/api" and "/api/x" but not "/apix". Prefix "/" matches every path.
func HasPathPrefix(path, prefix string) bool {
	if prefix == "/" {
		return true
	}
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/'
}

// HostPattern is an exact host name or a "*.suffix" wildcard, compared case-insensitively.
type HostPattern struct {
	exact  string
	suffix string // ".example.com" for "*.example.com"
}

// ParseHostPattern parses "example.com" or "*.example.com".
func ParseHostPattern(s string) (HostPattern, error) {
	s = strings.ToLower(s)
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		if rest == "" || strings.Contains(rest, "*") {
			return HostPattern{}, fmt.Errorf("host pattern %q: want \"*.suffix\"", s)
		}
		return HostPattern{suffix: "." + rest}, nil
	}
	if s == "" || strings.Contains(s, "*") {
		return HostPattern{}, fmt.Errorf("host pattern %q: want a host name or \"*.suffix\"", s)
	}
	return HostPattern{exact: s}, nil
}

// Match reports whether host (without port) fits the pattern. A wildcard matches one or more
// labels in front of the suffix, not the bare suffix.
func (p HostPattern) Match(host string) bool {
	if p.suffix == "" {
		return strings.EqualFold(host, p.exact)
	}
	n := len(host) - len(p.suffix)
	return n > 0 && strings.EqualFold(host[n:], p.suffix)
}

// StripPort removes a trailing ":port" from a host, keeping bracketed IPv6 literals intact.
func StripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return strings.TrimSuffix(strings.TrimPrefix(host[:i], "["), "]")
}

// Conn is the Request a layer-4 connection offers the matchers: only the client's address
// (after PROXY protocol); host, path, method, headers and query are empty.
type Conn struct{ Addr netip.Addr }

func (Conn) Host() string                 { return "" }
func (Conn) Path() string                 { return "" }
func (Conn) Method() string               { return "" }
func (Conn) Header(string) (string, bool) { return "", false }
func (Conn) Query(string) (string, bool)  { return "", false }

// Client returns the connection's client address.
func (c Conn) Client() netip.Addr { return c.Addr }
