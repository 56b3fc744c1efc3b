package balance

import (
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
)

// twoChoices is the power of two choices: draw two distinct eligible members at random in
// proportion to weight and keep the better one. It backs two algorithms:
//
//   - power_of_two: better = lessLoaded, fewer in-flight per unit of weight, not counting the
//     request being placed, so an idle pool ties and keeps the weighted first draw: shares
//     follow weights both idle and under steady load.
//   - peak_ewma (Finagle, Linkerd): better = cheaper, lower latency cost (see ewmaCost).
//
// Two random candidates rather than the global best avoid herding: many pickers acting on the
// same stale load figures do not all pile onto one member. Ties keep the first draw.
type twoChoices struct {
	weighted
	better func(a, b *backend.Member) bool // reports whether a beats b
}

// Pick returns the better of two random eligible members, the only one if just one is
// eligible, or -1.
func (tc *twoChoices) Pick(r *Request) int {
	a := tc.pick(r, -1)
	if a < 0 {
		return -1
	}
	b := tc.pick(r, a)
	if b >= 0 && tc.better(&tc.members[b], &tc.members[a]) {
		return b
	}
	return a
}

// UnmeasuredPenalty is the latency peak_ewma assumes for a member with no measurement yet
// (EWMA 0) while that member has requests in flight.
const UnmeasuredPenalty = time.Second

// ewmaCost is peak_ewma's cost of sending one more request to m, in nanoseconds:
// EWMA × (in-flight + 1) / weight.
//
// A member never measured (EWMA 0) costs 0 while idle, so a brand-new member wins any pairing
// and receives a first request at once; while that request is outstanding and still unmeasured,
// it costs as if its latency were UnmeasuredPenalty: moderately expensive, so it is not flooded
// before its first response lands, yet still chosen over members slower than that under their
// load. (Finagle likewise treats an idle unmeasured member as free and a busy one as penalised.)
func ewmaCost(m *backend.Member) float64 {
	inFlight := m.InFlight()
	rtt := m.EWMA()
	if rtt == 0 {
		if inFlight == 0 {
			return 0
		}
		rtt = float64(UnmeasuredPenalty)
	}
	return rtt * float64(inFlight+1) / float64(m.Weight)
}

// cheaper reports whether a costs less than b under peak_ewma.
func cheaper(a, b *backend.Member) bool { return ewmaCost(a) < ewmaCost(b) }
