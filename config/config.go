// Package config owns fulcrum's configuration: the YAML schema, loading with file:line:col
// positions, validation that reports every problem at once, and defaults.
//
// The types here are plain data. A *Config returned by Load or Parse is valid and has every
// default filled in; nothing downstream re-checks it.
package config

import (
	"net/netip"
	"time"
)

// Config is a whole fulcrum configuration file.
type Config struct {
	Admin     Admin      `yaml:"admin"`
	Listeners []Listener `yaml:"listeners"`
	Pools     []Pool     `yaml:"pools"`
	// GeoIP names the MaxMind database that `match.geo` conditions look client addresses up in.
	GeoIP *GeoIP `yaml:"geoip,omitempty"`
	// AccessLog writes one JSON line per request (L7) or connection (L4); nil: none.
	AccessLog *AccessLog `yaml:"access_log,omitempty"`

	// Warnings are things that are legal but probably not meant (a route that can never
	// match, a pool no route uses). Parse fills them in; they are not written by Marshal.
	Warnings []Problem `yaml:"-"`
}

// Admin configures the operations listener (API, metrics, dashboard).
type Admin struct {
	Listen    string `yaml:"listen,omitempty"`     // empty: no admin listener
	TokenFile string `yaml:"token_file,omitempty"` // bearer token; required when Listen is not loopback
}

// AccessLog says where access log lines go and which share of them is written.
type AccessLog struct {
	// Path is a file (appended to, reopened on SIGUSR1 for logrotate) or "stdout" / "stderr".
	Path string `yaml:"path"`
	// Sample is the fraction of requests logged, in (0, 1]; omitted means 1 (every request).
	Sample float64 `yaml:"sample,omitempty"`
}

// Rate is the sampling fraction in force: Sample, or 1 when it is not set.
func (a *AccessLog) Rate() float64 {
	if a.Sample == 0 {
		return 1
	}
	return a.Sample
}

// Listener accepts client traffic and routes it to pools.
type Listener struct {
	Name     string  `yaml:"name"`
	Protocol string  `yaml:"protocol"` // http (default); tcp, udp, tls, https arrive with later issues
	Listen   string  `yaml:"listen"`   // host:port
	Routes   []Route `yaml:"routes,omitempty"`
	// TrustedProxies are the peers whose X-Forwarded-* (and PROXY protocol) are believed.
	TrustedProxies []netip.Prefix `yaml:"trusted_proxies,omitempty"`
	// ForwardingHeaders says which fields an http listener adds to what it forwards: "all"
	// (default: Via on requests and responses, X-Forwarded-For/-Proto/-Host on requests),
	// "via", "x_forwarded" or "none". Without x_forwarded the client's own X-Forwarded-*
	// fields pass through untouched, as with HAProxy without option forwardfor.
	ForwardingHeaders string `yaml:"forwarding_headers,omitempty"`
	// MaxConnections caps concurrent client connections; 0 means no cap.
	MaxConnections int `yaml:"max_connections,omitempty"`
	// DrainTimeout bounds how long in-flight work may finish at shutdown (default 30s).
	DrainTimeout Duration         `yaml:"drain_timeout"`
	Timeouts     ListenerTimeouts `yaml:"timeouts"`

	// ProxyProtocol is "accept" to read a PROXY protocol v1/v2 header from every client of a
	// tcp or tls listener; peers outside TrustedProxies are refused. Empty: no header expected.
	ProxyProtocol string `yaml:"proxy_protocol,omitempty"`
	// ClientHelloTimeout bounds the wait for a tls listener's ClientHello (and a PROXY header);
	// 0 means 10s.
	ClientHelloTimeout Duration `yaml:"client_hello_timeout,omitempty"`
	// MaxSessions caps a udp listener's concurrent sessions; 0 means 10000.
	MaxSessions int `yaml:"max_sessions,omitempty"`
	// SessionIdle ends a udp session with no datagram either way for this long; 0 means 30s.
	SessionIdle Duration `yaml:"session_idle,omitempty"`
	// TLS holds the certificates of an https listener.
	TLS *ListenerTLS `yaml:"tls,omitempty"`
	// Engine is an http listener's HTTP/1.1 engine: fulcrum (package h1proxy) or net_http
	// (package l7). Empty means fulcrum when it serves every route and pool of the listener,
	// else net_http. On a tcp listener it is the data path: netpoll (package l4, goroutines
	// on the Go runtime's netpoller; the default) or epoll (package l4/epoll, one event loop
	// per listener; Linux only, and a listener it cannot serve falls back to netpoll).
	Engine string `yaml:"engine,omitempty"`
}

// ListenerTimeouts bound the client side of a listener.
type ListenerTimeouts struct {
	ReadHeader Duration `yaml:"read_header"` // default 10s
	Idle       Duration `yaml:"idle"`        // keep-alive idle; default 90s
}

// Route sends matching requests to a pool. A route without Match is the default route.
type Route struct {
	Name  string `yaml:"name"` // default: "<listener>/<index>"
	Match *Match `yaml:"match,omitempty"`
	// Pool receives matching requests. It is required unless Split, Redirect or Respond is set.
	Pool string `yaml:"pool,omitempty"`
	// Split shares requests among pools by weight instead of Pool.
	Split []SplitTarget `yaml:"split,omitempty"`
	// SplitSticky keeps each client address on one split target (a hash of the address).
	SplitSticky bool `yaml:"split_sticky,omitempty"`
	// Mirror sends a copy of a share of requests to another pool and discards its answer.
	Mirror          *Mirror     `yaml:"mirror,omitempty"`
	RequestHeaders  *HeaderEdit `yaml:"request_headers,omitempty"`
	ResponseHeaders *HeaderEdit `yaml:"response_headers,omitempty"`
	Rewrite         *Rewrite    `yaml:"rewrite,omitempty"`
	// Redirect answers with a redirect instead of proxying.
	Redirect *Redirect `yaml:"redirect,omitempty"`
	// Respond answers with a fixed status and body instead of proxying.
	Respond *Respond `yaml:"respond,omitempty"`
}

// Match holds conditions that must all hold for a route to match. Empty fields match anything.
type Match struct {
	Host       []string               `yaml:"host,omitempty"`        // exact or "*.suffix", case-insensitive, port ignored
	Path       string                 `yaml:"path,omitempty"`        // exact
	PathPrefix string                 `yaml:"path_prefix,omitempty"` // segment-aware prefix
	Method     []string               `yaml:"method,omitempty"`
	Headers    map[string]StringMatch `yaml:"headers,omitempty"`     // name → exact value, or {regex|present|absent}
	SNI        []string               `yaml:"sni,omitempty"`         // tls listeners: exact or "*.suffix"
	PathRegex  string                 `yaml:"path_regex,omitempty"`  // RE2, unanchored unless written with ^ and $
	Query      map[string]StringMatch `yaml:"query,omitempty"`       // query parameter → same forms as headers
	ClientCIDR []netip.Prefix         `yaml:"client_cidr,omitempty"` // the client address (after trusted XFF) is in one
	Geo        *GeoMatch              `yaml:"geo,omitempty"`         // needs top-level geoip
}

// Pool is a set of interchangeable backends and how to choose among them.
type Pool struct {
	Name      string `yaml:"name"`
	Algorithm string `yaml:"algorithm"` // default round_robin
	// HashOn is the hash algorithm's key: source_ip (default) | uri | header:NAME | cookie:NAME | query:NAME.
	HashOn          string  `yaml:"hash_on,omitempty"`
	HashMethod      string  `yaml:"hash_method,omitempty"`       // maglev (default) | ring
	MaglevTableSize int     `yaml:"maglev_table_size,omitempty"` // prime > len(Backends); default 65537 with maglev
	BoundedLoad     float64 `yaml:"bounded_load,omitempty"`      // c >= 1 caps a backend at ceil(c × mean load); 0 = off
	// EWMADecay is peak_ewma's time constant (default 10s); only peak_ewma may set it.
	EWMADecay   Duration    `yaml:"ewma_decay,omitempty"`
	Backends    []Backend   `yaml:"backends"`
	HealthCheck HealthCheck `yaml:"health_check"`
	Outlier     Outlier     `yaml:"outlier"`
	// Retries is the number of extra attempts, each on a backend not yet tried (default 2).
	Retries *int `yaml:"retries"`
	// RetryBodyLimit is the largest request body buffered so it can be replayed (default 64 KiB).
	RetryBodyLimit int          `yaml:"retry_body_limit"`
	Timeouts       PoolTimeouts `yaml:"timeouts"`
	// WhenAllDown: fail (default: 503 at once) | route_all (Envoy's panic mode: ignore health).
	WhenAllDown string `yaml:"when_all_down"`
	// SendProxyProtocol is v1 or v2 to open every connection to a backend of a tcp or tls
	// listener with a PROXY protocol header naming the client; empty sends none.
	SendProxyProtocol string `yaml:"send_proxy_protocol,omitempty"`
	// Affinity pins a client to one backend with a signed cookie.
	Affinity *Affinity `yaml:"affinity,omitempty"`
	// TLS makes connections to the backends TLS.
	TLS *BackendTLS `yaml:"tls,omitempty"`
	// Protocol is how HTTP reaches the backends: h1 (default), h2 (needs tls) or h2c.
	Protocol string `yaml:"protocol,omitempty"`
}

// Backend is one server in a pool.
type Backend struct {
	Address string `yaml:"address"` // host:port
	// Weight is the share of new traffic; default 1, 0 = no new traffic.
	Weight *int `yaml:"weight"`
	// MaxConnections caps concurrent requests/connections (used by `first`); 0 = no cap.
	MaxConnections int `yaml:"max_connections,omitempty"`
}

// HealthCheck configures active checks for every backend of a pool. The defaults below
// are filled in only when Type is http or tcp; Path, Host, ExpectStatus and ExpectBody
// apply to http only.
type HealthCheck struct {
	Type         string   `yaml:"type"`                    // http | tcp | grpc | none (default)
	Path         string   `yaml:"path,omitempty"`          // http; default /
	Host         string   `yaml:"host,omitempty"`          // http Host header; default the backend address
	Port         int      `yaml:"port,omitempty"`          // check this port instead of the backend's
	Interval     Duration `yaml:"interval,omitempty"`      // default 5s
	Timeout      Duration `yaml:"timeout,omitempty"`       // default 1s, or Interval if shorter
	Rise         int      `yaml:"rise,omitempty"`          // default 2
	Fall         int      `yaml:"fall,omitempty"`          // default 3
	ExpectStatus []string `yaml:"expect_status,omitempty"` // "200", "200-399"; default ["200-399"]
	ExpectBody   string   `yaml:"expect_body,omitempty"`   // substring the body must contain
	Service      string   `yaml:"service,omitempty"`       // grpc: the grpc.health.v1 service name; default ""
}

// Outlier configures passive outlier detection (ejection on observed failures).
type Outlier struct {
	ConsecutiveFailures int      `yaml:"consecutive_failures"` // 0 = off (default 5 when the block is present, else 0)
	BaseEjection        Duration `yaml:"base_ejection"`        // default 30s; grows linearly with repeats
	MaxEjectionPercent  int      `yaml:"max_ejection_percent"` // default 50
}

// PoolTimeouts bound the backend side.
type PoolTimeouts struct {
	Connect        Duration `yaml:"connect"`         // default 2s
	ResponseHeader Duration `yaml:"response_header"` // default 30s
	Idle           Duration `yaml:"idle"`            // idle pooled connection; default 90s
}

// Duration is a time.Duration written as "500ms", "2s", "1m".
type Duration struct{ time.Duration }

// Algorithms lists the balancing algorithms a pool may name.
var Algorithms = []string{"round_robin", "least_connections", "random", "power_of_two", "first", "peak_ewma", "hash"}

// AddsVia reports whether the listener adds Via to requests and responses it forwards.
func (l *Listener) AddsVia() bool {
	return l.ForwardingHeaders == "" || l.ForwardingHeaders == "all" || l.ForwardingHeaders == "via"
}

// AddsXForwarded reports whether the listener sets X-Forwarded-For/-Proto/-Host.
func (l *Listener) AddsXForwarded() bool {
	return l.ForwardingHeaders == "" || l.ForwardingHeaders == "all" || l.ForwardingHeaders == "x_forwarded"
}
