package balance

import "sync/atomic"

// leastConnections picks the eligible member with the fewest in-flight requests per unit of
// weight, (inflight+1)/weight. The scan starts at a rotating offset, so ties go round robin
// instead of always landing on the first member. One pass over the members, no allocation.
type leastConnections struct {
	pool
	start atomic.Uint64 // rotating scan offset
}

// Pick returns the least loaded eligible member, or -1.
func (lc *leastConnections) Pick(r *Request) int {
	n := uint64(len(lc.members))
	if n == 0 {
		return -1
	}
	off := lc.start.Add(1)
	best := -1
	for j := range n {
		i := int((off + j) % n)
		if !lc.eligible(i, r) {
			continue
		}
		if best < 0 || lighter(&lc.members[i], &lc.members[best]) {
			best = i
		}
	}
	return best
}
