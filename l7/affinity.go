package l7

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/affinity"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// rejectedCookies counts affinity cookies that failed verification (tampered, forged,
// signed with an unknown key, or expired); such requests are balanced as if they had none.
var rejectedCookies atomic.Int64

// RejectedAffinityCookies is the number of affinity cookies ignored since start.
func RejectedAffinityCookies() int64 { return rejectedCookies.Load() }

// affinityState is a request's cookie affinity: the member its valid cookie names and the
// member that served it. Both are -1 when unknown.
type affinityState struct {
	member int
	chosen int
}

// readAffinity verifies the pool's affinity cookie, if the pool has affinity and the
// request carries one.
func readAffinity(r *http.Request, p *runtime.Pool) affinityState {
	st := affinityState{member: -1, chosen: -1}
	if p.Affinity == nil {
		return st
	}
	c, err := r.Cookie(p.Config.Affinity.Name)
	if err != nil {
		return st
	}
	token, ok := p.Affinity.Verify(c.Value, time.Now())
	if !ok {
		rejectedCookies.Add(1)
		return st
	}
	st.member = memberByToken(p, token)
	return st
}

// memberByToken finds the member a cookie token names; -1 when it left the pool.
func memberByToken(p *runtime.Pool, token string) int {
	for i := range p.Members {
		if affinity.Token(p.Members[i].Address) == token {
			return i
		}
	}
	return -1
}

// pick chooses the member for the next attempt and counts it in flight: on the first attempt
// the cookie's member when it may take traffic (even at its max_connections: the client is
// pinned to it), otherwise the pool's picker, skipping members at their max_connections
// (counted at once, so concurrent requests cannot overshoot it).
func (ex *exchange) pick() int {
	if i := ex.affinity.member; i >= 0 && ex.attempts == 0 {
		if ex.pool.Members[i].Eligible(time.Now().UnixNano(), false) {
			ex.affinity.chosen = i
			ex.pool.Members[i].Acquire()
			return i
		}
	}
	i := ex.pool.Acquire(&ex.req)
	ex.affinity.chosen = i
	return i
}

// issue sets the affinity cookie when the member that answered is not the one the
// client's cookie named (no cookie, a rejected one, or a member that is gone or down).
func (st affinityState) issue(h http.Header, p *runtime.Pool, now time.Time) {
	if p.Affinity == nil || st.chosen < 0 || st.chosen == st.member {
		return
	}
	a := p.Config.Affinity
	c := &http.Cookie{Name: a.Name, Value: p.Affinity.Sign(affinity.Token(p.Members[st.chosen].Address), now),
		Path: "/", Secure: a.Secure, HttpOnly: a.HTTPOnly, SameSite: sameSite(a.SameSite)}
	if ttl := p.Affinity.TTL(); ttl > 0 {
		c.MaxAge = int(ttl / time.Second)
	}
	h.Add("Set-Cookie", c.String())
}

func sameSite(s string) http.SameSite {
	switch strings.ToLower(s) {
	case "lax":
		return http.SameSiteLaxMode
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	}
	return http.SameSiteDefaultMode
}
