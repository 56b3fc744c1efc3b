package balance

import (
	"slices"
	"sync/atomic"
)

const (
	// maxSequence bounds the stored smooth round-robin period (4 bytes an entry).
	maxSequence = 1 << 16
	// maxSequenceWork bounds period × members, the cost of computing the period at New.
	maxSequenceWork = 1 << 24
	// maxWalk bounds how many ineligible turns or positions a pick passes over before it
	// falls back to a scan of all members.
	maxWalk = 64
)

// roundRobin is NGINX's smooth weighted round robin made lock-free: for fixed weights the
// smooth sequence is periodic with period sum(weights)/gcd(weights), so New computes one period
// and Pick indexes it with an atomic counter. A heavy member's turns are spread out (weights
// 5,1,1 give a a b a c a a), never bunched.
//
// When the period is too long to store (more than maxSequence picks, or too costly to
// compute), it uses interleave instead: exact weighted shares, less smooth.
//
// An ineligible or tried member's turn is skipped (see Pick).
type roundRobin struct {
	pool
	next  atomic.Uint64 // picks so far; position in the sequence
	seq   []int32       // one smooth period of member indices; nil when inter is used
	ids   []int32       // members with weight > 0
	inter *interleave
}

func newRoundRobin(p pool) *roundRobin {
	ids := p.active()
	rr := &roundRobin{pool: p, ids: ids}
	w := p.reducedWeights(ids)
	period := 0
	for _, x := range w {
		period += x
	}
	if period <= maxSequence && period*len(w) <= maxSequenceWork {
		rr.seq = smoothSequence(ids, w, period)
	} else {
		rr.inter = newInterleave(ids, w)
	}
	return rr
}

// smoothSequence runs smooth weighted round robin for one period: each step adds every weight
// to its member's current value, picks the largest (first on ties) and subtracts the total.
func smoothSequence(ids []int32, w []int, period int) []int32 {
	cur := make([]int, len(w))
	seq := make([]int32, period)
	for k := range seq {
		best := 0
		for j := range w {
			cur[j] += w[j]
			if cur[j] > cur[best] {
				best = j
			}
		}
		cur[best] -= period
		seq[k] = ids[best]
	}
	return seq
}

// Pick returns the member whose turn it is. An ineligible member's turn is skipped by taking the
// next turn from the shared counter, so the eligible members keep their weighted, smooth order
// among themselves; after maxWalk skipped turns it scans for any eligible member.
func (rr *roundRobin) Pick(r *Request) int {
	if rr.period() == 0 {
		return -1
	}
	var k uint64
	for range maxWalk {
		k = rr.next.Add(1) - 1
		if i := rr.at(k); rr.eligible(i, r) {
			return i
		}
	}
	return rr.scanFrom(rr.ids, k, r)
}

func (rr *roundRobin) period() uint64 {
	if rr.inter != nil {
		return rr.inter.period()
	}
	return uint64(len(rr.seq))
}

// at is the member at position k of the (infinite, periodic) order.
func (rr *roundRobin) at(k uint64) int {
	if rr.inter != nil {
		return rr.inter.at(k)
	}
	return int(rr.seq[k%uint64(len(rr.seq))])
}

// interleave is interleaved weighted round robin, the fallback when a smooth period is too long
// to store: round j (j = 1 … max weight) visits, heaviest first, every member whose weight is
// at least j, so each member gets exactly its weight in turns per period. Rounds with the same
// set of members form a band, and position k is found by binary search over bands: O(log n),
// no allocation, no per-period storage.
type interleave struct {
	order     []int32  // members, heaviest first
	bandStart []uint64 // position at which each band starts; ascending
	bandSize  []int    // members visited per round in each band (a prefix of order)
	total     uint64   // period: sum of weights
}

func newInterleave(ids []int32, w []int) *interleave {
	idx := make([]int, len(ids))
	for j := range idx {
		idx[j] = j
	}
	slices.SortStableFunc(idx, func(a, b int) int { return w[b] - w[a] })
	in := &interleave{order: make([]int32, len(ids))}
	for j, x := range idx {
		in.order[j] = ids[x]
	}
	in.buildBands(idx, w)
	return in
}

// buildBands walks the distinct weights upwards: between consecutive distinct weights u' < u,
// rounds u'+1 … u each visit the members whose weight is at least u.
func (in *interleave) buildBands(idx []int, w []int) {
	prev := 0
	for n := len(idx); n > 0; n-- {
		u := w[idx[n-1]] // the n heaviest members all weigh at least u
		if u == prev {
			continue
		}
		in.bandStart = append(in.bandStart, in.total)
		in.bandSize = append(in.bandSize, n)
		in.total += uint64(u-prev) * uint64(n)
		prev = u
	}
}

func (in *interleave) period() uint64 { return in.total }

func (in *interleave) at(k uint64) int {
	k %= in.total
	b, found := slices.BinarySearch(in.bandStart, k)
	if !found {
		b--
	}
	pos := (k - in.bandStart[b]) % uint64(in.bandSize[b])
	return int(in.order[pos])
}
