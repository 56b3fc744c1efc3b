package balance

import (
	"slices"

	"github.com/fulcrum-lb/fulcrum/backend"
)

// pool is the immutable member slice a picker was built with.
type pool struct {
	members []backend.Member
}

// eligible reports whether member i may take r: eligible by its own state and not yet tried.
func (p *pool) eligible(i int, r *Request) bool {
	return p.members[i].Eligible(r.Now, r.IgnoreHealth) && !slices.Contains(r.Tried, i)
}

// active lists the members with a weight above zero, the only ones a picker ever returns.
func (p *pool) active() []int32 {
	var ids []int32
	for i, m := range p.members {
		if m.Weight > 0 {
			ids = append(ids, int32(i))
		}
	}
	return ids
}

// scanFrom returns the first eligible member of ids starting at position start and wrapping,
// or -1. It is the slow path when a picker's own order found nothing nearby.
func (p *pool) scanFrom(ids []int32, start uint64, r *Request) int {
	n := uint64(len(ids))
	for j := range n {
		i := int(ids[(start+j)%n])
		if p.eligible(i, r) {
			return i
		}
	}
	return -1
}

// lighter reports whether a carries less load per unit of weight than b, counting the
// request about to be placed: (inflight_a+1)/w_a < (inflight_b+1)/w_b, by cross-multiplying.
func lighter(a, b *backend.Member) bool {
	return (a.InFlight()+1)*int64(b.Weight) < (b.InFlight()+1)*int64(a.Weight)
}

// lessLoaded reports whether a has fewer requests in flight per unit of weight than b,
// strictly. power_of_two uses it without counting the request about to be placed: its two
// candidates were drawn in proportion to weight, so equal loads (an idle pool) must tie and
// keep the first draw, or light members would starve whenever the pool is idle.
func lessLoaded(a, b *backend.Member) bool {
	return a.InFlight()*int64(b.Weight) < b.InFlight()*int64(a.Weight)
}

// gcd is the greatest common divisor of a and b.
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// reducedWeights returns the weights of ids divided by their greatest common divisor.
func (p *pool) reducedWeights(ids []int32) []int {
	g := 0
	for _, i := range ids {
		g = gcd(g, p.members[i].Weight)
	}
	w := make([]int, len(ids))
	for j, i := range ids {
		w[j] = p.members[i].Weight / g
	}
	return w
}
