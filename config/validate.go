package config

import (
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// validate checks a decoded, defaulted configuration section by section, reporting every
// problem at the position of the node it is about.
func validate(c *checker, cfg *Config) {
	validateAdmin(c, cfg.Admin)
	validateListeners(c, cfg)
	validatePools(c, cfg.Pools)
	validatePolicy(c, cfg)
	validateL4(c, cfg)
	validateEngine(c, cfg)
	validateAccessLog(c, cfg.AccessLog)
	warnUnusedPools(c, cfg)
}

// validateAdmin checks the admin listener; a non-loopback one must be protected by a token.
func validateAdmin(c *checker, a Admin) {
	if a.Listen == "" {
		return
	}
	host, _, ok := checkListenAddr(c, "admin.listen", a.Listen)
	if ok && !isLoopback(host) && a.TokenFile == "" {
		c.errorf("admin.listen", "admin.listen %q is reachable from other hosts, so admin.token_file is required", a.Listen)
	}
}

// isLoopback reports whether host names only this machine. An empty host means every
// interface, so it is not loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// checkHostPort reports a problem unless addr is host:port with a port in 1..65535 and a
// host that is empty, an IP address, or a DNS name. It returns the host and port.
func checkHostPort(c *checker, path, addr string) (host, port string, ok bool) {
	return checkAddr(c, path, addr, 1)
}

// checkListenAddr is checkHostPort for an address fulcrum binds: port 0 asks the kernel for
// any free port (useful in tests; the admin API reports the port bound).
func checkListenAddr(c *checker, path, addr string) (host, port string, ok bool) {
	return checkAddr(c, path, addr, 0)
}

func checkAddr(c *checker, path, addr string, minPort int) (host, port string, ok bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		c.errorf(path, "%s: %q is not host:port (%v)", lastElem(path), addr, splitError(err))
		return "", "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < minPort || n > 65535 {
		c.errorf(path, "%s: port %q in %q must be a number from %d to 65535", lastElem(path), port, addr, minPort)
		return "", "", false
	}
	if !validHost(host) {
		c.errorf(path, "%s: host %q in %q is neither an IP address nor a DNS name", lastElem(path), host, addr)
		return "", "", false
	}
	return host, port, true
}

// splitError is the reason net.SplitHostPort gave, without the address it repeats.
func splitError(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return err.Error()
}

// dnsName matches a DNS name of letters, digits, hyphens and dots, one label at least.
var dnsName = regexp.MustCompile(`^(?i)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$`)

// validHost accepts "", an IP address (an IPv6 zone is allowed) or a DNS name.
func validHost(host string) bool {
	if host == "" {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return len(host) <= 253 && dnsName.MatchString(host)
}

// checkOneOf reports a problem unless value is one of allowed, suggesting the closest.
func checkOneOf(c *checker, path, value string, allowed []string) bool {
	for _, a := range allowed {
		if value == a {
			return true
		}
	}
	c.errorf(path, "%s: unknown value %q; want one of %s%s", lastElem(path), value, strings.Join(allowed, ", "), didYouMean(value, allowed))
	return false
}

// checkPositive reports a duration or count that must be above zero.
func checkPositive(c *checker, path string, d Duration) {
	if d.Duration <= 0 {
		c.errorf(path, "%s must be positive, got %s", lastElem(path), d.Duration)
	}
}

// checkRange reports an integer outside lo..hi.
func checkRange(c *checker, path string, n, lo, hi int) {
	if n < lo || n > hi {
		c.errorf(path, "%s must be from %d to %d, got %d", lastElem(path), lo, hi, n)
	}
}

// checkNotNegative reports an integer below zero.
func checkNotNegative(c *checker, path string, n int) {
	if n < 0 {
		c.errorf(path, "%s must not be negative, got %d", lastElem(path), n)
	}
}

// checkUniqueName reports a required name that is missing or was seen before; seen maps
// each name to the path that first used it.
func checkUniqueName(c *checker, path, kind, name string, seen map[string]string) {
	namePath := childPath(path, "name")
	if name == "" {
		c.errorf(namePath, "%s name is required", kind)
		return
	}
	if first, dup := seen[name]; dup {
		c.errorf(namePath, "duplicate %s name %q (first at line %d)", kind, name, c.line(first))
		return
	}
	seen[name] = namePath
}
