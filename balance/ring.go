package balance

import (
	"cmp"
	"slices"
	"strconv"
)

const (
	// ringPointsPerWeight is the virtual nodes per unit of weight on the ring (ketama uses ~160).
	ringPointsPerWeight = 160
	// maxRingPoints bounds the ring (12 bytes a point); beyond it, points per weight shrink and
	// very large weight ratios are approximated.
	maxRingPoints = 1 << 20
)

// ring is ketama-style consistent hashing: each member places weight × ringPointsPerWeight
// points on a 64-bit ring at xxhash("address-i"); a key belongs to the first point at or after
// its hash, found by binary search.
type ring struct {
	points []uint64 // ascending
	slots  []int32  // member owning points[j]
}

func (rg *ring) home(key uint64) int {
	j, _ := slices.BinarySearch(rg.points, key)
	if j == len(rg.points) {
		return 0
	}
	return j
}

func (rg *ring) owners() []int32 { return rg.slots }

type ringPoint struct {
	hash   uint64
	member int32
}

func newRing(p pool, ids []int32) *ring {
	counts := ringCounts(p.reducedWeights(ids))
	var pts []ringPoint
	var buf []byte
	for j, i := range ids {
		for v := range counts[j] {
			buf = strconv.AppendInt(append(append(buf[:0], p.members[i].Address...), '-'), int64(v), 10)
			pts = append(pts, ringPoint{hash: HashKey(buf), member: i})
		}
	}
	slices.SortFunc(pts, func(a, b ringPoint) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.member, b.member))
	})
	rg := &ring{points: make([]uint64, len(pts)), slots: make([]int32, len(pts))}
	for j, pt := range pts {
		rg.points[j], rg.slots[j] = pt.hash, pt.member
	}
	return rg
}

// ringCounts turns reduced weights into point counts within maxRingPoints.
func ringCounts(w []int) []int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	per := float64(ringPointsPerWeight)
	if sum*ringPointsPerWeight > maxRingPoints {
		per = float64(maxRingPoints) / float64(sum)
	}
	counts := make([]int, len(w))
	for j, x := range w {
		counts[j] = max(1, int(float64(x)*per))
	}
	return counts
}
