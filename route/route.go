// Package route holds the request matchers: pure predicates compiled once per snapshot from a
// route's `match` block and evaluated on every request without locks or allocation.
package route

import (
	"fmt"
	"strings"

	"github.com/fulcrum-lb/fulcrum/config"
)

// Request is the view of an HTTP request the matchers need; data paths adapt their own
// request types to it.
type Request interface {
	Host() string // as sent by the client, possibly with a port
	Path() string
	Method() string
	Header(name string) (string, bool)
}

// Matcher decides whether a route applies to a request. A nil *Matcher matches everything.
type Matcher struct {
	hosts      []HostPattern
	path       string
	pathPrefix string
	methods    []string
	headers    []headerMatch
}

type headerMatch struct{ name, value string }

// Compile builds a matcher from a match block; a nil block gives a nil (match-all) matcher.
func Compile(m *config.Match) (*Matcher, error) {
	if m == nil {
		return nil, nil
	}
	c := &Matcher{path: m.Path, pathPrefix: strings.TrimSuffix(m.PathPrefix, "/"), methods: m.Method}
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
	for name, value := range m.Headers {
		c.headers = append(c.headers, headerMatch{name, value})
	}
	return c, nil
}

// Match reports whether every condition holds for r.
func (m *Matcher) Match(r Request) bool {
	if m == nil {
		return true
	}
	return m.matchHost(r.Host()) && m.matchPath(r.Path()) && m.matchMethod(r.Method()) && m.matchHeaders(r)
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
	return m.pathPrefix == "" || HasPathPrefix(path, m.pathPrefix)
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

func (m *Matcher) matchHeaders(r Request) bool {
	for _, h := range m.headers {
		if v, ok := r.Header(h.name); !ok || v != h.value {
			return false
		}
	}
	return true
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
