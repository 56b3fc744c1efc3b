package balance

import (
	"math"
	"strings"
	"testing"
)

// pickSequence returns the first n picks of a fresh picker as letters a, b, c, …
func pickSequence(t *testing.T, p Picker, n int) string {
	t.Helper()
	var b strings.Builder
	for range n {
		i := p.Pick(&Request{})
		if i < 0 {
			t.Fatalf("Pick = -1 with every member eligible")
		}
		b.WriteByte(byte('a' + i))
	}
	return b.String()
}

func TestRoundRobinIsSmooth(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		want    string // one period, as NGINX's smooth weighted round robin produces it
	}{
		{name: "nginx example 5,1,1", weights: []int{5, 1, 1}, want: "aabacaa"},
		{name: "equal", weights: []int{1, 1, 1}, want: "abc"},
		{name: "gcd reduced 10,20", weights: []int{10, 20}, want: "bab"},
		{name: "weight 0 never picked", weights: []int{2, 0, 1}, want: "aca"},
		{name: "4,3,2,1", weights: []int{4, 3, 2, 1}, want: "abcabdacba"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, Options{Algorithm: RoundRobin}, newMembers(tt.weights...))
			if got := pickSequence(t, p, 3*len(tt.want)); got != strings.Repeat(tt.want, 3) {
				t.Errorf("got sequence %s, want %s repeated", got, tt.want)
			}
		})
	}
}

// nginxSequence is the reference: NGINX's smooth weighted round robin, run step by step.
func nginxSequence(weights []int, n int) []int {
	cur, total := make([]int, len(weights)), 0
	for _, w := range weights {
		total += w
	}
	seq := make([]int, n)
	for k := range seq {
		best := -1
		for i, w := range weights {
			cur[i] += w
			if w > 0 && (best < 0 || cur[i] > cur[best]) {
				best = i
			}
		}
		cur[best] -= total
		seq[k] = best
	}
	return seq
}

func TestRoundRobinMatchesNGINX(t *testing.T) {
	next := seeded(5)
	for trial := range 50 {
		weights := make([]int, 1+next()%8)
		for i := range weights {
			weights[i] = 1 + int(next()%20)
		}
		p := mustNew(t, Options{Algorithm: RoundRobin}, newMembers(weights...))
		for k, want := range nginxSequence(weights, 1000) {
			if got := p.Pick(&Request{}); got != want {
				t.Fatalf("trial %d, weights %v, pick %d: got member %d, want %d", trial, weights, k, got, want)
			}
		}
	}
}

func TestRoundRobinNeverBursts(t *testing.T) {
	// In every window of picks, each member's count stays within 2 of its weighted share of the
	// window. Plain weighted round robin breaks this: for 4,4 it sends aaaabbbb.
	for _, weights := range [][]int{{5, 1, 1}, {4, 4}, {3, 2}, {7, 5, 3, 1}, {100, 1}, {1, 1, 1, 6}} {
		p := mustNew(t, Options{Algorithm: RoundRobin}, newMembers(weights...))
		total := 0
		for _, w := range weights {
			total += w
		}
		seq := make([]int, 4*total)
		for k := range seq {
			seq[k] = p.Pick(&Request{})
		}
		for i, w := range weights {
			if dev := worstWindowDeviation(seq, i, float64(w)/float64(total)); dev >= 2 {
				t.Errorf("weights %v, member %d: got a window off its share by %.2f picks, want under 2", weights, i, dev)
			}
		}
	}
}

// worstWindowDeviation is the largest |picks of member − share × window length| over all windows.
func worstWindowDeviation(seq []int, member int, share float64) float64 {
	worst := 0.0
	for start := range seq {
		count := 0
		for end := start; end < len(seq); end++ {
			if seq[end] == member {
				count++
			}
			worst = max(worst, math.Abs(float64(count)-share*float64(end-start+1)))
		}
	}
	return worst
}

func TestRoundRobinInterleavesWhenThePeriodIsTooLong(t *testing.T) {
	// Coprime weights summing past maxSequence: no stored period, exact shares anyway.
	weights := []int{40009, 30011, 20011, 10007, 3}
	ms := newMembers(weights...)
	p := mustNew(t, Options{Algorithm: RoundRobin}, ms)
	if rr := p.(*roundRobin); rr.inter == nil {
		t.Fatalf("got a stored sequence of %d picks, want the interleave fallback", len(rr.seq))
	}
	period, counts := 0, make([]int, len(weights))
	for _, w := range weights {
		period += w
	}
	for range period {
		counts[p.Pick(&Request{})]++
	}
	for i, w := range weights {
		if counts[i] != w {
			t.Errorf("member %d: got %d picks in one period, want its weight %d", i, counts[i], w)
		}
	}
}

func TestRoundRobinSkipsIneligibleTurnsKeepingShares(t *testing.T) {
	ms := newMembers(5, 1, 2)
	ms[0].SetHealthy(false)
	p := mustNew(t, Options{Algorithm: RoundRobin}, ms)
	counts := make([]int, 3)
	for range 8000 {
		counts[p.Pick(&Request{})]++
	}
	// The unhealthy member's turns are skipped, so the others split traffic 1:2.
	if counts[0] != 0 || math.Abs(float64(counts[2])/float64(counts[1])-2) > 0.01 {
		t.Errorf("got picks %v, want none for member 0 and members 1, 2 in ratio 1:2", counts)
	}
}
