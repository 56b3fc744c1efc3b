package l4

import (
	"net/netip"
	"sync/atomic"

	"github.com/fulcrum-lb/fulcrum/route"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// route picks the listener's route: on tls listeners the first route whose `sni` patterns
// match the server name (a route without `sni` matches any name, and is the only kind that
// matches a hello without one); on tcp listeners the first route that matches an empty
// request, normally the route without `match`.
func (s *Stream) route(l *runtime.Listener, serverName string, client netip.Addr) *runtime.Route {
	if s.mode == TCP {
		return l.Route(route.Conn{Addr: client})
	}
	t := s.routes.table(l)
	for i, pats := range t.patterns {
		if matchSNI(pats, serverName) {
			return l.Routes[i]
		}
	}
	return nil
}

func matchSNI(pats []route.HostPattern, name string) bool {
	if pats == nil {
		return true
	}
	for _, p := range pats {
		if name != "" && p.Match(name) {
			return true
		}
	}
	return false
}

// sniCache holds the SNI patterns compiled for the last snapshot's listener; a connection
// that sees a newer listener recompiles them once. Reads take no lock.
type sniCache struct{ cur atomic.Pointer[sniTable] }

type sniTable struct {
	listener *runtime.Listener
	patterns [][]route.HostPattern // per route; nil = any name
}

func (c *sniCache) table(l *runtime.Listener) *sniTable {
	if t := c.cur.Load(); t != nil && t.listener == l {
		return t
	}
	t := compileSNI(l)
	c.cur.Store(t)
	return t
}

// compileSNI parses each route's sni patterns. Validation has already accepted them; a
// pattern that still fails to parse makes its route match nothing.
func compileSNI(l *runtime.Listener) *sniTable {
	t := &sniTable{listener: l, patterns: make([][]route.HostPattern, len(l.Routes))}
	for i := range l.Routes {
		if i >= len(l.Config.Routes) || l.Config.Routes[i].Match == nil || len(l.Config.Routes[i].Match.SNI) == 0 {
			continue
		}
		t.patterns[i] = []route.HostPattern{}
		for _, s := range l.Config.Routes[i].Match.SNI {
			if p, err := route.ParseHostPattern(s); err == nil {
				t.patterns[i] = append(t.patterns[i], p)
			}
		}
	}
	return t
}
