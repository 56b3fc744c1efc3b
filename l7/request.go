package l7

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// view adapts *http.Request to route.Request; client is the effective client address.
type view struct {
	r      *http.Request
	client netip.Addr
}

func (v view) Client() netip.Addr { return v.client }
func (v view) Query(name string) (string, bool) {
	return queryLookup(v.r.URL.RawQuery, name)
}

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
	v, _ := queryLookup(q, name)
	return v
}

// queryLookup finds the first name=value pair in a raw query string; a bare "name" counts
// as present with an empty value. Values are compared as sent (not unescaped).
func queryLookup(q, name string) (string, bool) {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// effectiveClient is the client address routing and hashing use: the peer, or, when the
// peer is a trusted proxy, the right-most X-Forwarded-For address that is not itself a
// trusted proxy (so a client cannot forge its address by prepending entries).
func effectiveClient(r *http.Request, l *runtime.Listener, peer netip.Addr) (netip.Addr, bool) {
	if !l.Trusted(peer) {
		return peer, false
	}
	xff := r.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client, true
			}
			client = a.Unmap()
			if !l.Trusted(client) {
				return client, true
			}
		}
	}
	return client, true
}
