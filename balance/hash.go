package balance

import (
	"math"

	"github.com/cespare/xxhash/v2"
)

// HashKey hashes an affinity key for Request.Key (xxhash64). It does not allocate.
func HashKey(b []byte) uint64 { return xxhash.Sum64(b) }

// HashString hashes an affinity key for Request.Key; HashString(s) == HashKey([]byte(s)).
// It does not allocate.
func HashString(s string) uint64 { return xxhash.Sum64String(s) }

// table is a consistent-hash lookup structure: an ordered ring of positions, each owned by a
// member. A key has a home position; walking forward from it visits other members in an order
// that depends only on the table.
type table interface {
	// home is the key's position.
	home(key uint64) int
	// owners lists the member index at each position.
	owners() []int32
}

// hashPicker sends equal keys to the same member while it stays eligible (Maglev or a ring).
// A key whose member is ineligible or tried walks forward to the next eligible owner, so only
// that member's keys move.
//
// With bounded loads (c = BoundedLoad > 0; Mirrokni, Thorup, Zadimoghaddam), member i also
// needs in-flight below its capacity ceil(c × (total in-flight + 1) × w_i / total weight), over
// the eligible members, so a hot key spills to the following members instead of overloading its
// own. Computing the totals costs one scan of the members per pick.
//
// Requests without a key go smooth weighted round robin.
type hashPicker struct {
	pool
	tab   table
	slots []int32 // tab.owners()
	ids   []int32 // members with weight > 0
	c     float64 // bounded load factor; 0 = off
	rr    *roundRobin
}

func newHash(o Options, p pool) (Picker, error) {
	ids := p.active()
	if err := validateHash(&o, len(ids)); err != nil {
		return nil, err
	}
	h := &hashPicker{pool: p, ids: ids, c: o.BoundedLoad, rr: newRoundRobin(p)}
	if o.HashMethod == Ring {
		h.tab = newRing(p, ids)
	} else {
		h.tab = newMaglev(p, ids, o.TableSize)
	}
	h.slots = h.tab.owners()
	return h, nil
}

// load is what bounded loads needs to know at one pick; c = 0 means unbounded.
type load struct {
	c        float64
	inFlight int64 // over eligible members
	weight   int64 // over eligible members
}

// Pick returns the key's member, walking forward past ineligible (and, with bounded loads, full)
// members; keyless requests go round robin. -1 when no member is eligible.
func (h *hashPicker) Pick(r *Request) int {
	if !r.HasKey {
		return h.rr.Pick(r)
	}
	if len(h.slots) == 0 {
		return -1
	}
	ld := h.load(r)
	if i := h.walk(r, ld); i >= 0 || ld.c == 0 {
		return i
	}
	return h.scanFrom(h.ids, r.Key, r) // every member full as seen: ignore the cap
}

func (h *hashPicker) load(r *Request) load {
	ld := load{c: h.c}
	if h.c == 0 {
		return ld
	}
	for i := range h.members {
		if h.eligible(i, r) {
			ld.inFlight += h.members[i].InFlight()
			ld.weight += int64(h.members[i].Weight)
		}
	}
	return ld
}

// walk visits positions from the key's home onwards, then scans all members as a last resort
// (a long walk means few members can take the key).
func (h *hashPicker) walk(r *Request, ld load) int {
	n := len(h.slots)
	pos := h.tab.home(r.Key)
	for range min(n, 4*len(h.members)+maxWalk) {
		if i := int(h.slots[pos]); h.fits(i, r, ld) {
			return i
		}
		if pos++; pos == n {
			pos = 0
		}
	}
	for j := range len(h.members) {
		if i := (int(r.Key%uint64(len(h.members))) + j) % len(h.members); h.fits(i, r, ld) {
			return i
		}
	}
	return -1
}

// fits reports whether member i is eligible and, with bounded loads, below its capacity.
func (h *hashPicker) fits(i int, r *Request, ld load) bool {
	if !h.eligible(i, r) {
		return false
	}
	return ld.c == 0 || h.members[i].InFlight() < ld.capacity(h.members[i].Weight)
}

// capacity is ceil(c × (in-flight + 1) × weight / total weight): the member's fair share of the
// load including the request being placed, times c.
func (ld load) capacity(weight int) int64 {
	return int64(math.Ceil(ld.c * float64((ld.inFlight+1)*int64(weight)) / float64(ld.weight)))
}
