package config

import (
	"fmt"
	"time"
)

// Defaults not spelled out elsewhere. The rest are written at their call sites below and
// documented on the fields in config.go.
const (
	defaultMaglevTableSize = 65537
	defaultRetries         = 2
	defaultRetryBodyLimit  = 64 << 10
)

// applyDefaults fills every field the file left out. A key that is present keeps its
// value, even zero, so that validation can reject "interval: 0s" instead of quietly
// replacing it.
func applyDefaults(c *checker, cfg *Config) {
	for i := range cfg.Listeners {
		defaultListener(c, indexPath("listeners", i), &cfg.Listeners[i])
	}
	for i := range cfg.Pools {
		defaultPool(c, indexPath("pools", i), &cfg.Pools[i])
	}
}

// setDefault stores value in field when path is absent from the file.
func setDefault[T any](c *checker, path string, field *T, value T) {
	if !c.has(path) {
		*field = value
	}
}

// durationDefault is setDefault for durations.
func durationDefault(c *checker, path string, field *Duration, value time.Duration) {
	setDefault(c, path, field, Duration{value})
}

func defaultListener(c *checker, path string, l *Listener) {
	setDefault(c, childPath(path, "protocol"), &l.Protocol, "http")
	durationDefault(c, childPath(path, "drain_timeout"), &l.DrainTimeout, 30*time.Second)
	durationDefault(c, childPath(path, "timeouts.read_header"), &l.Timeouts.ReadHeader, 10*time.Second)
	durationDefault(c, childPath(path, "timeouts.idle"), &l.Timeouts.Idle, 90*time.Second)
	for i := range l.Routes {
		setDefault(c, childPath(indexPath(childPath(path, "routes"), i), "name"), &l.Routes[i].Name, fmt.Sprintf("%s/%d", l.Name, i))
	}
}

func defaultPool(c *checker, path string, p *Pool) {
	setDefault(c, childPath(path, "algorithm"), &p.Algorithm, "round_robin")
	defaultAlgorithmOptions(c, path, p)
	for i := range p.Backends {
		if p.Backends[i].Weight == nil {
			p.Backends[i].Weight = intPtr(1)
		}
	}
	defaultHealthCheck(c, childPath(path, "health_check"), &p.HealthCheck)
	defaultOutlier(c, childPath(path, "outlier"), &p.Outlier)
	if p.Retries == nil {
		p.Retries = intPtr(defaultRetries)
	}
	setDefault(c, childPath(path, "retry_body_limit"), &p.RetryBodyLimit, defaultRetryBodyLimit)
	setDefault(c, childPath(path, "when_all_down"), &p.WhenAllDown, "fail")
	durationDefault(c, childPath(path, "timeouts.connect"), &p.Timeouts.Connect, 2*time.Second)
	durationDefault(c, childPath(path, "timeouts.response_header"), &p.Timeouts.ResponseHeader, 30*time.Second)
	durationDefault(c, childPath(path, "timeouts.idle"), &p.Timeouts.Idle, 90*time.Second)
}

// defaultAlgorithmOptions fills the options of the pool's own algorithm only; options
// of other algorithms stay zero (and are rejected by validation if set).
func defaultAlgorithmOptions(c *checker, path string, p *Pool) {
	switch p.Algorithm {
	case "hash":
		setDefault(c, childPath(path, "hash_on"), &p.HashOn, "source_ip")
		setDefault(c, childPath(path, "hash_method"), &p.HashMethod, "maglev")
		if p.HashMethod == "maglev" {
			setDefault(c, childPath(path, "maglev_table_size"), &p.MaglevTableSize, defaultMaglevTableSize)
		}
	case "peak_ewma":
		durationDefault(c, childPath(path, "ewma_decay"), &p.EWMADecay, 10*time.Second)
	}
}

// defaultHealthCheck fills the check's settings when it is active (http or tcp).
func defaultHealthCheck(c *checker, path string, h *HealthCheck) {
	setDefault(c, childPath(path, "type"), &h.Type, "none")
	if h.Type != "http" && h.Type != "tcp" && h.Type != "grpc" {
		return
	}
	durationDefault(c, childPath(path, "interval"), &h.Interval, 5*time.Second)
	durationDefault(c, childPath(path, "timeout"), &h.Timeout, min(time.Second, h.Interval.Duration))
	setDefault(c, childPath(path, "rise"), &h.Rise, 2)
	setDefault(c, childPath(path, "fall"), &h.Fall, 3)
	if h.Type == "http" {
		setDefault(c, childPath(path, "path"), &h.Path, "/")
		setDefault(c, childPath(path, "expect_status"), &h.ExpectStatus, []string{"200-399"})
	}
}

// defaultOutlier turns detection on (5 failures) when the block is present, and always
// fills the ejection settings so they are sane if it is later turned on.
func defaultOutlier(c *checker, path string, o *Outlier) {
	if c.has(path) {
		setDefault(c, childPath(path, "consecutive_failures"), &o.ConsecutiveFailures, 5)
	}
	durationDefault(c, childPath(path, "base_ejection"), &o.BaseEjection, 30*time.Second)
	setDefault(c, childPath(path, "max_ejection_percent"), &o.MaxEjectionPercent, 50)
}

func intPtr(i int) *int { return &i }
