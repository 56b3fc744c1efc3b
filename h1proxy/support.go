package h1proxy

import (
	"maps"
	"slices"
	"strings"

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
	case r.Rewrite != nil && !(printable(r.Rewrite.StripPrefix) && printable(r.Rewrite.ReplacePrefix)):
		return "route rewrite with a control character"
	case r.Redirect != nil && !(printable(r.Redirect.Host) && printable(r.Redirect.Path)):
		return "route redirect with a control character"
	}
	if why := unsupportedEdit("request_headers", r.RequestHeaders); why != "" {
		return why
	}
	return unsupportedEdit("response_headers", r.ResponseHeaders)
}

// unsupportedEdit names a header edit this engine would not apply as package l7 does: one on a
// field that h1 writes itself (framing, hop-by-hop, Host, Via, X-Forwarded-*), or a value with a
// control character, which must never reach the wire (CR or LF would end the field early).
func unsupportedEdit(key string, e *config.HeaderEdit) string {
	if e == nil {
		return ""
	}
	names := slices.Clone(e.Remove)
	for _, m := range []map[string]string{e.Set, e.Add} {
		for _, name := range slices.Sorted(maps.Keys(m)) {
			if !printable(m[name]) {
				return "route " + key + " value of " + name + " with a control character"
			}
			names = append(names, name)
		}
	}
	for _, name := range names {
		if writtenByEngine[strings.ToLower(name)] {
			return "route " + key + " edit of " + name
		}
	}
	return ""
}

// writtenByEngine are the fields h1 drops, rewrites or adds on the heads it forwards.
var writtenByEngine = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "trailer": true,
	"connection": true, "keep-alive": true, "proxy-connection": true, "te": true, "upgrade": true,
	"proxy-authenticate": true, "proxy-authorization": true,
	"via": true, "x-forwarded-for": true, "x-forwarded-proto": true, "x-forwarded-host": true,
}

// printable reports a field value without control characters other than HTAB (RFC 9110 §5.5).
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
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
