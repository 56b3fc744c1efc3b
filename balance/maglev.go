package balance

import (
	"math/bits"

	"github.com/cespare/xxhash/v2"
)

// Seeds of the two hashes of a member's address that fix its Maglev permutation.
const (
	maglevOffsetSeed = 0x6d61676c65762d6f // "maglev-o"
	maglevSkipSeed   = 0x6d61676c65762d73 // "maglev-s"
)

// maglev is Google's Maglev lookup table (NSDI 2016): a prime-size table in which every member
// claims slots in the order of its own permutation, offset + j × skip (mod size), with offset
// and skip from two seeded hashes of its address. Members take turns claiming their next free
// slot; weights apply through credits: every round each member earns its weight and claims one
// slot per max-weight of credit, so slot shares follow weight shares. Removing a member moves
// little more than its own slots.
type maglev struct {
	slots []int32
}

func (m *maglev) home(key uint64) int {
	hi, _ := bits.Mul64(key, uint64(len(m.slots)))
	return int(hi)
}

func (m *maglev) owners() []int32 { return m.slots }

// maglevCandidate is one member's state while the table fills.
type maglevCandidate struct {
	member       int32
	weight       int
	credit       int
	offset, skip uint64
	next         uint64 // permutation entries used so far
}

func newMaglev(p pool, ids []int32, size int) *maglev {
	if len(ids) == 0 {
		return &maglev{}
	}
	return &maglev{slots: fillMaglev(maglevCandidates(p, ids, size), size)}
}

func maglevCandidates(p pool, ids []int32, size int) []maglevCandidate {
	cands := make([]maglevCandidate, len(ids))
	for j, i := range ids {
		addr := p.members[i].Address
		cands[j] = maglevCandidate{
			member: i,
			weight: p.members[i].Weight,
			offset: seededHash(addr, maglevOffsetSeed) % uint64(size),
			skip:   seededHash(addr, maglevSkipSeed)%uint64(size-1) + 1,
		}
	}
	return cands
}

func seededHash(s string, seed uint64) uint64 {
	d := xxhash.NewWithSeed(seed)
	d.WriteString(s)
	return d.Sum64()
}

// fillMaglev lets the candidates take turns until every slot is owned.
func fillMaglev(cands []maglevCandidate, size int) []int32 {
	slots := make([]int32, size)
	for s := range slots {
		slots[s] = -1
	}
	maxWeight := 0
	for _, c := range cands {
		maxWeight = max(maxWeight, c.weight)
	}
	for filled := 0; filled < size; {
		for j := range cands {
			c := &cands[j]
			for c.credit += c.weight; c.credit >= maxWeight && filled < size; c.credit -= maxWeight {
				c.claim(slots)
				filled++
			}
		}
	}
	return slots
}

// claim takes the candidate's next free slot in its permutation. size is prime and
// 1 <= skip < size, so the permutation visits every slot and a free one is found.
func (c *maglevCandidate) claim(slots []int32) {
	size := uint64(len(slots))
	for {
		s := (c.offset + c.next*c.skip) % size
		c.next++
		if slots[s] < 0 {
			slots[s] = c.member
			return
		}
	}
}
