package h1proxy

import (
	"github.com/fulcrum-lb/fulcrum/config"
)

// Unsupported names the first feature a listener's routes or pools use that this engine does
// not serve yet (package l7 does), or "" when the engine serves the listener completely.
func Unsupported(cfg *config.Config, lc config.Listener) string {
	if lc.Protocol != "" && lc.Protocol != "http" {
		return "protocol " + lc.Protocol
	}
	pools := map[string]bool{}
	for _, r := range lc.Routes {
		if why := unsupportedRoute(r); why != "" {
			return why
		}
		pools[r.Pool] = true
		for _, t := range r.Split {
			pools[t.Pool] = true
		}
	}
	for _, p := range cfg.Pools {
		if why := unsupportedPool(p); pools[p.Name] && why != "" {
			return why
		}
	}
	return ""
}

func unsupportedRoute(r config.Route) string {
	switch {
	case r.Mirror != nil:
		return "route mirror"
	case r.Rewrite != nil:
		return "route rewrite"
	case r.Redirect != nil:
		return "route redirect"
	case r.Respond != nil:
		return "route respond"
	case r.RequestHeaders != nil || r.ResponseHeaders != nil:
		return "route header edits"
	}
	return ""
}

func unsupportedPool(p config.Pool) string {
	switch {
	case p.Affinity != nil:
		return "pool affinity"
	case p.TLS != nil:
		return "pool tls"
	case p.Protocol != "" && p.Protocol != "h1":
		return "pool protocol " + p.Protocol
	}
	return ""
}
