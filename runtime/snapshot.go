// Package runtime turns a validated Config into the immutable Snapshot every data path serves
// from, and swaps snapshots atomically on reload. Live backend state lives in a
// backend.Registry that outlives snapshots, so health, in-flight counts, EWMA and ejections
// carry over by (pool, address).
//
// A Snapshot and everything it points to is read-only once published; requests hold the
// snapshot they started with, so a reload never disturbs a request in progress.
package runtime

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/affinity"
	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/geo"
	"github.com/fulcrum-lb/fulcrum/health"
	"github.com/fulcrum-lb/fulcrum/route"
)

// Snapshot is one immutable generation of fulcrum's configuration, ready to serve.
type Snapshot struct {
	Config    *config.Config
	Version   int64 // increases by one per applied configuration
	Listeners map[string]*Listener
	Pools     map[string]*Pool
	Geo       *geo.DB // the top-level geoip database; nil when none is configured
}

// Listener is a listener's routing table.
type Listener struct {
	Config  config.Listener
	Routes  []*Route
	trusted []netip.Prefix
}

// Route is one compiled route.
type Route struct {
	Name    string
	Matcher *route.Matcher // nil matches everything
	Pool    *Pool          // nil when the route splits, redirects or responds
	// Action is what the route does (split, mirror, header edits, rewrite, redirect,
	// respond); its pool names are resolved in Pools.
	Action *route.Action
	Pools  map[string]*Pool    // every pool Action names
	sni    []route.HostPattern // tls listeners: server names taken; nil = any
}

// Trusted reports whether a peer may supply forwarding information (X-Forwarded-*, PROXY).
func (l *Listener) Trusted(peer netip.Addr) bool {
	peer = peer.Unmap()
	for _, p := range l.trusted {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

// RouteSNI returns the first route of a tls listener that takes serverName: a route with
// `sni` patterns takes the names they match, a route without takes any name and is the
// only kind that takes a ClientHello without one (serverName ""). Nil when none does.
func (l *Listener) RouteSNI(serverName string) *Route {
	for _, rt := range l.Routes {
		if rt.takesSNI(serverName) {
			return rt
		}
	}
	return nil
}

func (rt *Route) takesSNI(name string) bool {
	if rt.sni == nil {
		return true
	}
	for _, p := range rt.sni {
		if name != "" && p.Match(name) {
			return true
		}
	}
	return false
}

// Route returns the first route whose matcher accepts r, or nil.
func (l *Listener) Route(r route.Request) *Route {
	for _, rt := range l.Routes {
		if rt.Matcher.Match(r) {
			return rt
		}
	}
	return nil
}

// HashSource says where a hash pool takes its request key from.
type HashSource int

// Hash key sources.
const (
	HashNone HashSource = iota
	HashSourceIP
	HashURI
	HashHeader
	HashCookie
	HashQuery
)

// Pool is a pool as one snapshot sees it. Members share live state with every other
// snapshot that has the same (pool, address).
type Pool struct {
	Name     string
	Config   config.Pool
	Members  []backend.Member
	Picker   balance.Picker
	Outlier  *health.Outlier
	HashFrom HashSource
	HashName string          // header, cookie or query parameter name for HashHeader/Cookie/Query
	Affinity *affinity.Codec // cookie affinity; nil when the pool has none
	Retries  int
	routeAll bool
	ewma     bool
	tau      time.Duration
}

// Pick chooses a member index for r, or -1. When no member at all is available and the pool
// is configured `when_all_down: route_all`, it picks among members ignoring health (panic mode).
func (p *Pool) Pick(r *balance.Request) int {
	if r.Now == 0 {
		r.Now = time.Now().UnixNano()
	}
	i := p.Picker.Pick(r)
	if i >= 0 || !p.routeAll || p.AnyAvailable(r.Now) {
		return i
	}
	r.IgnoreHealth = true
	return p.Picker.Pick(r)
}

// AnyAvailable reports whether any member may take new traffic, ignoring what was tried.
func (p *Pool) AnyAvailable(now int64) bool {
	for i := range p.Members {
		if p.Members[i].Eligible(now, false) {
			return true
		}
	}
	return false
}

// Done records the outcome of one attempt on member i: counters, passive outlier detection
// and, for peak_ewma pools, the latency estimate.
func (p *Pool) Done(i int, ok bool, latency time.Duration, now int64) {
	p.Outlier.Report(i, ok, now)
	if ok && p.ewma {
		p.Members[i].ObserveLatency(latency, now, p.tau)
	}
}

func parseHashOn(s string) (HashSource, string) {
	kind, name, _ := strings.Cut(s, ":")
	switch kind {
	case "source_ip":
		return HashSourceIP, ""
	case "uri":
		return HashURI, ""
	case "header":
		return HashHeader, name
	case "cookie":
		return HashCookie, name
	case "query":
		return HashQuery, name
	}
	return HashNone, ""
}

// Acquire picks a member for r and counts a request or connection on it, skipping members
// already at their max_connections (each is added to r.Tried). It returns the member's
// index, or -1 when none is eligible. The caller must Release the member when done.
func (p *Pool) Acquire(r *balance.Request) int {
	for range len(p.Members) + 1 {
		i := p.Pick(r)
		if i < 0 {
			return -1
		}
		m := &p.Members[i]
		m.Acquire()
		if m.MaxConnections == 0 || m.InFlight() <= m.MaxConnections {
			return i
		}
		m.Release()
		r.Tried = append(r.Tried, i)
	}
	return -1
}

// SourceKey makes r a fresh pick for a connection from client, keeping Tried's capacity:
// hash pools keyed on source_ip get the client's address as the key.
func (p *Pool) SourceKey(r *balance.Request, client netip.Addr) {
	*r = balance.Request{Tried: r.Tried[:0]}
	if p.HashFrom != HashSourceIP || !client.IsValid() {
		return
	}
	a := client.Unmap().As16()
	r.Key, r.HasKey = balance.HashKey(a[:]), true
}

// ChoosePool returns the route's pool, or its split target for this request: at random, or
// by a hash of the client address when the split is sticky.
func (rt *Route) ChoosePool(client netip.Addr) *Pool {
	sp := rt.Action.Split
	if sp == nil {
		return rt.Pool
	}
	n := rand.Uint64()
	if sp.Sticky {
		b := client.As16()
		n = balance.HashKey(b[:])
	}
	return rt.Pools[sp.Pool(sp.Pick(n))]
}
