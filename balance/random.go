package balance

import (
	"math/bits"
	"slices"
)

// rejectionTries is how many weighted draws a pick makes before it stops ignoring
// ineligible members and scans for the eligible ones' weights.
const rejectionTries = 8

// weighted draws members at random in proportion to weight: cumulative weights and a binary
// search, O(log n) and no allocation. A draw that lands on an ineligible member is redrawn
// (which keeps the eligible members' relative shares exact); after rejectionTries misses it
// draws once over the eligible members' weights, found by a scan.
type weighted struct {
	pool
	rand func() uint64
	ids  []int32  // members with weight > 0
	cum  []uint64 // cum[j] = total weight of ids[0..j]
}

func newWeighted(p pool, rand func() uint64) weighted {
	w := weighted{pool: p, rand: rand, ids: p.active()}
	var sum uint64
	for _, i := range w.ids {
		sum += uint64(p.members[i].Weight)
		w.cum = append(w.cum, sum)
	}
	return w
}

// below returns a uniformly random value in [0, n) (Lemire's multiply-high mapping).
func (w *weighted) below(n uint64) uint64 {
	hi, _ := bits.Mul64(w.rand(), n)
	return hi
}

// draw returns a member at random in proportion to weight, eligible or not; len(ids) > 0.
func (w *weighted) draw() int {
	x := w.below(w.cum[len(w.cum)-1])
	j, _ := slices.BinarySearch(w.cum, x+1) // first j with cum[j] > x
	return int(w.ids[j])
}

// pick draws an eligible member other than exclude (-1 excludes none), or returns -1.
func (w *weighted) pick(r *Request, exclude int) int {
	if len(w.ids) == 0 {
		return -1
	}
	for range rejectionTries {
		if i := w.draw(); i != exclude && w.eligible(i, r) {
			return i
		}
	}
	return w.scanDraw(r, exclude)
}

// scanDraw draws over the eligible members only, in two passes: total weight, then the member.
func (w *weighted) scanDraw(r *Request, exclude int) int {
	var total uint64
	for _, i := range w.ids {
		if w.takes(int(i), r, exclude) {
			total += uint64(w.members[i].Weight)
		}
	}
	if total == 0 {
		return -1
	}
	x := w.below(total)
	for _, i := range w.ids {
		if !w.takes(int(i), r, exclude) {
			continue
		}
		if wt := uint64(w.members[i].Weight); x >= wt {
			x -= wt
			continue
		}
		return int(i)
	}
	return -1 // eligibility changed between the passes
}

func (w *weighted) takes(i int, r *Request, exclude int) bool {
	return i != exclude && w.eligible(i, r)
}

// randomPicker is weighted random.
type randomPicker struct {
	weighted
}

// Pick returns an eligible member at random in proportion to weight, or -1.
func (rp *randomPicker) Pick(r *Request) int { return rp.pick(r, -1) }
