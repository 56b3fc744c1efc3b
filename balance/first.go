package balance

// first is HAProxy's "first": the first eligible member, in configuration order, that is below
// its MaxConnections (0 = no cap, so an uncapped member takes everything). Traffic fills members
// one after another, which lets spare ones idle or be switched off.
//
// When every eligible member is at its cap, Pick returns -1: the pool is full, and the caller
// answers as it does when no member is available.
type first struct {
	pool
}

// Pick returns the first eligible member with room, or -1.
func (f *first) Pick(r *Request) int {
	for i := range f.members {
		if f.eligible(i, r) && f.hasRoom(i) {
			return i
		}
	}
	return -1
}

func (f *first) hasRoom(i int) bool {
	m := &f.members[i]
	return m.MaxConnections == 0 || m.InFlight() < m.MaxConnections
}
