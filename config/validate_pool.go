package config

import (
	"fmt"
	"slices"
	"strings"
)

// Limits on pool settings.
const (
	maxRetries         = 10
	maxMaglevTableSize = 1 << 24 // 16M entries; far beyond any pool, small enough to build
)

// validatePools checks every pool.
func validatePools(c *checker, pools []Pool) {
	names := map[string]string{}
	for i := range pools {
		path := indexPath("pools", i)
		p := &pools[i]
		checkUniqueName(c, path, "pool", p.Name, names)
		validateBackends(c, path, p)
		validateAlgorithm(c, path, p)
		validateHealthCheck(c, childPath(path, "health_check"), p.HealthCheck)
		validateOutlier(c, childPath(path, "outlier"), p.Outlier)
		validateRetryAndTimeouts(c, path, p)
	}
}

// validateBackends checks that the pool has backends, each with a valid, unique address.
func validateBackends(c *checker, path string, p *Pool) {
	backendsPath := childPath(path, "backends")
	if len(p.Backends) == 0 {
		c.errorf(backendsPath, "pool %q has no backends", p.Name)
		return
	}
	seen := map[string]string{}
	for i, b := range p.Backends {
		bp := indexPath(backendsPath, i)
		checkBackendAddress(c, childPath(bp, "address"), b.Address, seen)
		if b.Weight != nil {
			checkNotNegative(c, childPath(bp, "weight"), *b.Weight)
		}
		checkNotNegative(c, childPath(bp, "max_connections"), b.MaxConnections)
	}
}

// checkBackendAddress reports a missing, malformed or repeated backend address.
func checkBackendAddress(c *checker, path, addr string, seen map[string]string) {
	if addr == "" {
		c.errorf(path, "backend address is required")
		return
	}
	if _, _, ok := checkHostPort(c, path, addr); !ok {
		return
	}
	key := strings.ToLower(addr)
	if first, dup := seen[key]; dup {
		c.errorf(path, "duplicate backend address %q (first at line %d)", addr, c.line(first))
		return
	}
	seen[key] = path
}

// algorithmOption is a pool key that only some algorithms read.
type algorithmOption struct {
	key       string
	algorithm string
	set       func(p *Pool) bool
}

// algorithmOptions lists the algorithm-specific pool keys.
var algorithmOptions = []algorithmOption{
	{"hash_on", "hash", func(p *Pool) bool { return p.HashOn != "" }},
	{"hash_method", "hash", func(p *Pool) bool { return p.HashMethod != "" }},
	{"maglev_table_size", "hash", func(p *Pool) bool { return p.MaglevTableSize != 0 }},
	{"bounded_load", "hash", func(p *Pool) bool { return p.BoundedLoad != 0 }},
	{"ewma_decay", "peak_ewma", func(p *Pool) bool { return p.EWMADecay.Duration != 0 }},
}

// validateAlgorithm checks the algorithm name and that its options fit it.
func validateAlgorithm(c *checker, path string, p *Pool) {
	if !checkOneOf(c, childPath(path, "algorithm"), p.Algorithm, Algorithms) {
		return
	}
	for _, opt := range algorithmOptions {
		if opt.algorithm != p.Algorithm && opt.set(p) {
			c.errorf(childPath(path, opt.key), "%s only applies to algorithm %s, not %s", opt.key, opt.algorithm, p.Algorithm)
		}
	}
	switch p.Algorithm {
	case "hash":
		validateHashOptions(c, path, p)
	case "peak_ewma":
		checkPositive(c, childPath(path, "ewma_decay"), p.EWMADecay)
	}
}

// validateHashOptions checks hash_on, hash_method, maglev_table_size and bounded_load.
func validateHashOptions(c *checker, path string, p *Pool) {
	checkHashOn(c, childPath(path, "hash_on"), p.HashOn)
	if checkOneOf(c, childPath(path, "hash_method"), p.HashMethod, []string{"maglev", "ring"}) {
		checkMaglevTableSize(c, path, p)
	}
	if p.BoundedLoad != 0 && p.BoundedLoad < 1 {
		c.errorf(childPath(path, "bounded_load"), "bounded_load must be 0 (off) or at least 1, got %g", p.BoundedLoad)
	}
}

// hashKeys are the hash_on values without a NAME; hashKeyKinds take ":NAME".
var (
	hashKeys     = []string{"source_ip", "uri"}
	hashKeyKinds = []string{"header", "cookie", "query"}
)

// checkHashOn reports a hash key that is not source_ip, uri, header:NAME, cookie:NAME or query:NAME.
func checkHashOn(c *checker, path, on string) {
	kind, name, hasName := strings.Cut(on, ":")
	switch {
	case !hasName && slices.Contains(hashKeys, on):
	case hasName && slices.Contains(hashKeyKinds, kind) && name != "":
	case hasName && slices.Contains(hashKeyKinds, kind):
		c.errorf(path, "hash_on %q needs a name after the colon, like %s:X-User", on, kind)
	default:
		c.errorf(path, "hash_on: unknown value %q; want source_ip, uri, header:NAME, cookie:NAME or query:NAME%s",
			on, didYouMean(kind, append(slices.Clone(hashKeys), hashKeyKinds...)))
	}
}

// checkMaglevTableSize checks the Maglev lookup table: prime, larger than the backend count.
func checkMaglevTableSize(c *checker, path string, p *Pool) {
	sizePath := childPath(path, "maglev_table_size")
	if p.HashMethod != "maglev" {
		if p.MaglevTableSize != 0 {
			c.errorf(sizePath, "maglev_table_size only applies to hash_method maglev, not %s", p.HashMethod)
		}
		return
	}
	switch n := p.MaglevTableSize; {
	case n > maxMaglevTableSize:
		c.errorf(sizePath, "maglev_table_size %d is too large; at most %d", n, maxMaglevTableSize)
	case !isPrime(n):
		c.errorf(sizePath, "maglev_table_size %d must be prime (for example 65537)", n)
	case n <= len(p.Backends):
		c.errorf(sizePath, "maglev_table_size %d must be larger than the number of backends (%d)", n, len(p.Backends))
	}
}

// isPrime reports whether n is prime, by trial division (n is at most maxMaglevTableSize).
func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// healthCheckTypes are the active health check kinds.
var healthCheckTypes = []string{"http", "tcp", "grpc", "none"}

// validateHealthCheck checks an active health check. With type none every other setting
// is ignored, which earns a warning; settings for http only are errors on tcp.
func validateHealthCheck(c *checker, path string, h HealthCheck) {
	if !checkOneOf(c, childPath(path, "type"), h.Type, healthCheckTypes) {
		return
	}
	if h.Type == "none" {
		warnIgnoredHealthSettings(c, path, h)
		return
	}
	checkHealthTiming(c, path, h)
	checkRange(c, childPath(path, "port"), h.Port, 0, 65535)
	if h.Type == "tcp" || h.Type == "grpc" {
		checkNoHTTPSettings(c, path, h)
		return
	}
	checkMatchPath(c, childPath(path, "path"), h.Path)
	for i, s := range h.ExpectStatus {
		if _, _, err := parseStatusRange(s); err != nil {
			c.errorf(indexPath(childPath(path, "expect_status"), i), "expect_status %q: %v", s, err)
		}
	}
}

// checkHealthTiming checks interval, timeout, rise and fall.
func checkHealthTiming(c *checker, path string, h HealthCheck) {
	checkPositive(c, childPath(path, "interval"), h.Interval)
	checkPositive(c, childPath(path, "timeout"), h.Timeout)
	if h.Interval.Duration > 0 && h.Timeout.Duration > h.Interval.Duration {
		c.errorf(childPath(path, "timeout"), "timeout %s must not be longer than interval %s", h.Timeout.Duration, h.Interval.Duration)
	}
	if h.Rise < 1 {
		c.errorf(childPath(path, "rise"), "rise must be at least 1, got %d", h.Rise)
	}
	if h.Fall < 1 {
		c.errorf(childPath(path, "fall"), "fall must be at least 1, got %d", h.Fall)
	}
}

// httpOnlyHealthSettings are the health check keys that only an http check reads.
func httpOnlyHealthSettings(h HealthCheck) []string {
	var keys []string
	for key, set := range map[string]bool{"path": h.Path != "", "host": h.Host != "",
		"expect_status": len(h.ExpectStatus) > 0, "expect_body": h.ExpectBody != ""} {
		if set {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// checkNoHTTPSettings reports http-only settings on a tcp check.
func checkNoHTTPSettings(c *checker, path string, h HealthCheck) {
	for _, key := range httpOnlyHealthSettings(h) {
		c.errorf(childPath(path, key), "health_check.%s only applies to type http, not %s", key, h.Type)
	}
}

// warnIgnoredHealthSettings warns about settings written for a check that is off.
func warnIgnoredHealthSettings(c *checker, path string, h HealthCheck) {
	keys := httpOnlyHealthSettings(h)
	if h.Interval.Duration != 0 || h.Timeout.Duration != 0 || h.Rise != 0 || h.Fall != 0 || h.Port != 0 {
		keys = append(keys, "interval/timeout/rise/fall/port")
	}
	if len(keys) > 0 {
		c.warnf(childPath(path, "type"), "health_check type is none, so %s %s ignored", strings.Join(keys, ", "), isOrAre(len(keys)))
	}
}

func isOrAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// validateOutlier checks passive outlier detection settings.
func validateOutlier(c *checker, path string, o Outlier) {
	checkNotNegative(c, childPath(path, "consecutive_failures"), o.ConsecutiveFailures)
	checkPositive(c, childPath(path, "base_ejection"), o.BaseEjection)
	checkRange(c, childPath(path, "max_ejection_percent"), o.MaxEjectionPercent, 0, 100)
}

// validateRetryAndTimeouts checks retries, the retry body limit, when_all_down and timeouts.
func validateRetryAndTimeouts(c *checker, path string, p *Pool) {
	checkRange(c, childPath(path, "retries"), *p.Retries, 0, maxRetries)
	checkNotNegative(c, childPath(path, "retry_body_limit"), p.RetryBodyLimit)
	checkOneOf(c, childPath(path, "when_all_down"), p.WhenAllDown, []string{"fail", "route_all"})
	checkPositive(c, childPath(path, "timeouts.connect"), p.Timeouts.Connect)
	checkPositive(c, childPath(path, "timeouts.response_header"), p.Timeouts.ResponseHeader)
	checkPositive(c, childPath(path, "timeouts.idle"), p.Timeouts.Idle)
}

// warnUnusedPools warns about pools that no route sends traffic to.
func warnUnusedPools(c *checker, cfg *Config) {
	used := map[string]bool{}
	for _, l := range cfg.Listeners {
		for _, r := range l.Routes {
			for _, name := range r.poolNames() {
				used[name] = true
			}
		}
	}
	for i, p := range cfg.Pools {
		if p.Name != "" && !used[p.Name] {
			c.warnf(childPath(indexPath("pools", i), "name"), "pool %q is not used by any route", p.Name)
		}
	}
}

// parseStatusRange reads "200" or "200-399" into an inclusive range of HTTP status codes.
func parseStatusRange(s string) (lo, hi int, err error) {
	loText, hiText, isRange := strings.Cut(s, "-")
	if lo, err = parseStatusCode(loText); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parseStatusCode(hiText); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("range starts at %d, after its end %d", lo, hi)
	}
	return lo, hi, nil
}

// parseStatusCode reads a three-digit status code from 100 to 599.
func parseStatusCode(s string) (int, error) {
	if len(s) != 3 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("want a status code like 200 or a range like 200-399")
	}
	n := int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if n < 100 || n > 599 {
		return 0, fmt.Errorf("status %d is outside 100-599", n)
	}
	return n, nil
}

// StatusOK reports whether an http health check accepts status code; with no
// ExpectStatus it accepts 200-399. Entries are parsed on each call without allocating;
// Parse has already rejected malformed ones, which never match.
func (h HealthCheck) StatusOK(code int) bool {
	if len(h.ExpectStatus) == 0 {
		return code >= 200 && code <= 399
	}
	for _, s := range h.ExpectStatus {
		if lo, hi, err := parseStatusRange(s); err == nil && code >= lo && code <= hi {
			return true
		}
	}
	return false
}
