package config

import (
	"net/netip"
	"regexp"
	"strings"
)

// methodToken is an upper-case HTTP method such as GET or M-SEARCH.
var methodToken = regexp.MustCompile(`^[A-Z]+(-[A-Z]+)*$`)

// headerToken is an HTTP header field name (RFC 9110 token).
var headerToken = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// validateMatch checks one route's conditions and that they apply to the listener's
// protocol (no path on a tcp listener, no sni on plain http).
func validateMatch(c *checker, path string, m *Match, protocol string, proto protocolInfo, known bool) {
	checkMatchApplies(c, path, m, protocol, proto, known)
	checkMatchPath(c, childPath(path, "path"), m.Path)
	checkMatchPath(c, childPath(path, "path_prefix"), m.PathPrefix)
	for i, method := range m.Method {
		checkMethod(c, indexPath(childPath(path, "method"), i), method)
	}
	for i, host := range m.Host {
		checkHostPattern(c, indexPath(childPath(path, "host"), i), host, true)
	}
	for i, name := range m.SNI {
		checkHostPattern(c, indexPath(childPath(path, "sni"), i), name, false)
	}
	for name := range m.Headers {
		if !headerToken.MatchString(name) {
			c.errorf(childPath(childPath(path, "headers"), name), "headers: %q is not a valid header name", name)
		}
	}
}

// checkMatchApplies reports conditions the listener's protocol cannot evaluate.
func checkMatchApplies(c *checker, path string, m *Match, protocol string, proto protocolInfo, known bool) {
	if !known {
		return
	}
	if !proto.httpMatch {
		httpConditions := []struct {
			key string
			set bool
		}{{"host", len(m.Host) > 0}, {"path", m.Path != ""}, {"path_prefix", m.PathPrefix != ""},
			{"method", len(m.Method) > 0}, {"headers", len(m.Headers) > 0}}
		for _, cond := range httpConditions {
			if cond.set {
				c.errorf(childPath(path, cond.key), "match.%s does not apply to %s listeners", cond.key, protocol)
			}
		}
	}
	if !proto.sniMatch && len(m.SNI) > 0 {
		c.errorf(childPath(path, "sni"), "match.sni does not apply to %s listeners; use tls or https", protocol)
	}
}

// checkMatchPath reports a path condition that does not start with "/".
func checkMatchPath(c *checker, path, value string) {
	if value != "" && !strings.HasPrefix(value, "/") {
		c.errorf(path, "%s %q must start with \"/\"", lastElem(path), value)
	}
	if hasControl(value, false) {
		c.errorf(path, "%s %q has a control character", lastElem(path), value)
	}
}

// checkMethod reports a method that is not an upper-case token.
func checkMethod(c *checker, path, method string) {
	if methodToken.MatchString(method) {
		return
	}
	if up := strings.ToUpper(method); methodToken.MatchString(up) {
		c.errorf(path, "method %q must be upper-case, like %q", method, up)
		return
	}
	c.errorf(path, "method %q is not a valid HTTP method", method)
}

// checkHostPattern reports a pattern that is neither an exact name nor "*.suffix".
// IP addresses are allowed for Host, not for SNI.
func checkHostPattern(c *checker, path, pattern string, allowIP bool) {
	name := strings.TrimPrefix(pattern, "*.")
	switch {
	case name == "":
		c.errorf(path, "%s: empty host pattern", lastElem(path))
	case strings.Contains(name, "*"):
		c.errorf(path, "%s: %q may use \"*\" only as a leading \"*.\"", lastElem(path), pattern)
	case !allowIP && isIP(name):
		c.errorf(path, "%s: %q is an IP address; SNI carries DNS names only", lastElem(path), pattern)
	case !validHost(name):
		c.errorf(path, "%s: %q is not a host name (no port, no scheme)", lastElem(path), pattern)
	}
}

// isIP reports whether s is an IP address.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
