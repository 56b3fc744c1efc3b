package l7

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// view adapts *http.Request to route.Request.
type view struct{ r *http.Request }

func (v view) Host() string   { return v.r.Host }
func (v view) Path() string   { return v.r.URL.Path }
func (v view) Method() string { return v.r.Method }
func (v view) Header(name string) (string, bool) {
	vs := v.r.Header.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// clientAddr returns the TCP peer of r.
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// hashKey computes the request's affinity key for a hash pool; ok is false when the request
// does not carry it (the picker then falls back to round robin).
func hashKey(p *runtime.Pool, r *http.Request, client netip.Addr) (uint64, bool) {
	switch p.HashFrom {
	case runtime.HashSourceIP:
		b := client.As16()
		return balance.HashKey(b[:]), client.IsValid()
	case runtime.HashURI:
		return balance.HashString(r.URL.RequestURI()), true
	case runtime.HashHeader:
		return hashNonEmpty(r.Header.Get(p.HashName))
	case runtime.HashCookie:
		c, err := r.Cookie(p.HashName)
		if err != nil {
			return 0, false
		}
		return hashNonEmpty(c.Value)
	case runtime.HashQuery:
		return hashNonEmpty(queryValue(r.URL.RawQuery, p.HashName))
	}
	return 0, false
}

func hashNonEmpty(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	return balance.HashString(s), true
}

// queryValue returns the raw value of the first name=value pair in a query string.
func queryValue(q, name string) string {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k == name {
			return v
		}
	}
	return ""
}
