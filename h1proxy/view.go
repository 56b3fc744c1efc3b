package h1proxy

import (
	"bytes"
	"net/netip"
	"unsafe"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/h1"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// requestView adapts a parsed request to route.Request without copying. The strings it
// returns alias the connection's read buffer: they are valid only while the route is being
// chosen, which is all route.Matcher needs (it keeps nothing).
type requestView struct {
	req    *h1.Request
	client netip.Addr
}

// alias returns b as a string sharing its memory; the caller must not keep it.
func alias(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (v *requestView) Host() string       { return alias(v.req.Host) }
func (v *requestView) Method() string     { return alias(v.req.Method) }
func (v *requestView) Client() netip.Addr { return v.client }

// Path is the origin-form target without its query, as sent (not percent-decoded).
func (v *requestView) Path() string {
	t := v.req.OriginTarget()
	if i := bytes.IndexByte(t, '?'); i >= 0 {
		t = t[:i]
	}
	return alias(t)
}

func (v *requestView) Header(name string) (string, bool) {
	b, ok := headerValue(v.req.Headers, name)
	return alias(b), ok
}

func (v *requestView) Query(name string) (string, bool) {
	b, ok := queryLookup(rawQuery(v.req), name)
	return alias(b), ok
}

// headerValue returns the first field named name, compared case-insensitively.
func headerValue(hs h1.Headers, name string) ([]byte, bool) {
	for _, h := range hs {
		if equalFold(h.Name, name) {
			return h.Value, true
		}
	}
	return nil, false
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func rawQuery(req *h1.Request) []byte {
	t := req.OriginTarget()
	if i := bytes.IndexByte(t, '?'); i >= 0 {
		return t[i+1:]
	}
	return nil
}

// queryLookup finds the first name=value pair of a raw query; a bare "name" is present with an
// empty value. Values are compared as sent, as package l7 does.
func queryLookup(q []byte, name string) ([]byte, bool) {
	for len(q) > 0 {
		pair := q
		if i := bytes.IndexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			q = nil
		}
		k, v := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		if string(k) == name {
			return v, true
		}
	}
	return nil, false
}

// cookieValue returns the value of the first cookie called name in the Cookie fields.
func cookieValue(hs h1.Headers, name string) ([]byte, bool) {
	for _, h := range hs {
		if !equalFold(h.Name, "cookie") {
			continue
		}
		for c := h.Value; len(c) > 0; {
			pair := c
			if i := bytes.IndexByte(c, ';'); i >= 0 {
				pair, c = c[:i], c[i+1:]
			} else {
				c = nil
			}
			pair = bytes.TrimLeft(pair, " ")
			if i := bytes.IndexByte(pair, '='); i >= 0 && string(pair[:i]) == name {
				return bytes.Trim(pair[i+1:], `"`), true
			}
		}
	}
	return nil, false
}

// hashKey computes a hash pool's request key, as package l7 does; ok is false when the request
// does not carry it (the picker then falls back to round robin).
func hashKey(p *runtime.Pool, req *h1.Request, client netip.Addr) (uint64, bool) {
	switch p.HashFrom {
	case runtime.HashSourceIP:
		b := client.As16()
		return balance.HashKey(b[:]), client.IsValid()
	case runtime.HashURI:
		return balance.HashKey(req.OriginTarget()), true
	case runtime.HashHeader:
		return hashNonEmpty(headerValue(req.Headers, p.HashName))
	case runtime.HashCookie:
		return hashNonEmpty(cookieValue(req.Headers, p.HashName))
	case runtime.HashQuery:
		return hashNonEmpty(queryLookup(rawQuery(req), p.HashName))
	}
	return 0, false
}

func hashNonEmpty(b []byte, _ bool) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	return balance.HashKey(b), true
}

// effectiveClient is the address routing and hashing use: the peer, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For address that is not itself trusted (so a
// client cannot forge its address by prepending entries). trusted reports the peer's trust.
func effectiveClient(l *runtime.Listener, req *h1.Request, peer netip.Addr) (client netip.Addr, trusted bool) {
	if !l.Trusted(peer) {
		return peer, false
	}
	client = peer
	for i := len(req.Headers) - 1; i >= 0; i-- {
		h := req.Headers[i]
		if !equalFold(h.Name, "x-forwarded-for") {
			continue
		}
		for v := h.Value; len(v) > 0; {
			var part []byte
			if j := bytes.LastIndexByte(v, ','); j >= 0 {
				part, v = v[j+1:], v[:j]
			} else {
				part, v = v, nil
			}
			a, err := netip.ParseAddr(alias(bytes.TrimSpace(part)))
			if err != nil {
				return client, true
			}
			if client = a.Unmap(); !l.Trusted(client) {
				return client, true
			}
		}
	}
	return client, true
}
