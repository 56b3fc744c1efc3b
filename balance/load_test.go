package balance

import (
	"slices"
	"testing"
	"time"
)

func TestLeastConnectionsTiesRotate(t *testing.T) {
	ms := newMembers(1, 1, 1, 1)
	p := mustNew(t, Options{Algorithm: LeastConnections}, ms)
	counts := make([]int, len(ms))
	for range 400 {
		counts[p.Pick(&Request{})]++ // nothing acquired: every pick is a four-way tie
	}
	for i, c := range counts {
		if c != 100 {
			t.Errorf("member %d: got %d of 400 tied picks, want 100", i, c)
		}
	}
}

func TestLeastConnectionsPicksFewestPerWeight(t *testing.T) {
	tests := []struct {
		name     string
		weights  []int
		inFlight []int
		want     int
	}{
		{name: "fewest", weights: []int{1, 1, 1}, inFlight: []int{3, 1, 2}, want: 1},
		{name: "weight scales load", weights: []int{1, 4}, inFlight: []int{1, 4}, want: 1},   // 2/1 vs 5/4
		{name: "heavier absorbs more", weights: []int{1, 4}, inFlight: []int{1, 8}, want: 0}, // 2/1 vs 9/4
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := newMembers(tt.weights...)
			for i, n := range tt.inFlight {
				for range n {
					ms[i].Acquire()
				}
			}
			p := mustNew(t, Options{Algorithm: LeastConnections}, ms)
			for range 10 {
				if got := p.Pick(&Request{}); got != tt.want {
					t.Fatalf("got member %d, want %d", got, tt.want)
				}
			}
		})
	}
}

func TestFirstFillsInOrder(t *testing.T) {
	ms := newMembers(1, 1, 1)
	ms[0].MaxConnections, ms[1].MaxConnections = 2, 3 // the last is uncapped
	p := mustNew(t, Options{Algorithm: First}, ms)
	var got []int
	for range 8 {
		i := p.Pick(&Request{})
		got = append(got, i)
		ms[i].Acquire()
	}
	want := []int{0, 0, 1, 1, 1, 2, 2, 2}
	if !slices.Equal(got, want) {
		t.Errorf("got picks %v, want %v", got, want)
	}
	ms[0].Release()
	if i := p.Pick(&Request{}); i != 0 {
		t.Errorf("after member 0 freed a connection: got member %d, want 0", i)
	}
}

func TestFirstIsFullWhenEveryMemberIsAtItsCap(t *testing.T) {
	ms := newMembers(1, 1)
	ms[0].MaxConnections, ms[1].MaxConnections = 1, 1
	ms[0].Acquire()
	ms[1].Acquire()
	p := mustNew(t, Options{Algorithm: First}, ms)
	if got := p.Pick(&Request{}); got != -1 {
		t.Errorf("got member %d, want -1", got)
	}
}

func TestPeakEWMAAvoidsTheSlowMember(t *testing.T) {
	ms := newMembers(1, 1, 1)
	for i, rtt := range []time.Duration{time.Millisecond, time.Millisecond, 10 * time.Millisecond} {
		ms[i].ObserveLatency(rtt, 1, time.Second)
	}
	sim := &simulation{members: ms, picker: mustNew(t, Options{Algorithm: PeakEWMA, Rand: seeded(6)}, ms), concurrency: 30}
	counts := sim.run(t, picks)
	t.Logf("picks with 1ms, 1ms, 10ms members: %v", counts)
	if fast := min(counts[0], counts[1]); counts[2]*4 > fast {
		t.Errorf("got picks %v, want the 10× slower member 2 under a quarter of either fast one", counts)
	}
}

func TestPeakEWMAGivesAnUnmeasuredMemberTraffic(t *testing.T) {
	ms := newMembers(1, 1, 1)
	ms[0].ObserveLatency(time.Millisecond, 1, time.Second)
	ms[1].ObserveLatency(time.Millisecond, 1, time.Second)
	// Member 2 is brand new: never measured.
	for _, concurrency := range []int{0, 30} {
		sim := &simulation{members: ms, picker: mustNew(t, Options{Algorithm: PeakEWMA, Rand: seeded(7)}, ms), concurrency: concurrency}
		if counts := sim.run(t, 10_000); counts[2] == 0 {
			t.Errorf("concurrency %d: got picks %v, want some for the unmeasured member 2", concurrency, counts)
		}
	}
}

func TestPeakEWMAPenalisesABusyUnmeasuredMember(t *testing.T) {
	ms := newMembers(1, 1)
	ms[0].ObserveLatency(time.Millisecond, 1, time.Second)
	ms[1].Acquire() // its first request is still out: no measurement yet
	p := mustNew(t, Options{Algorithm: PeakEWMA, Rand: seeded(8)}, ms)
	for range 100 {
		if got := p.Pick(&Request{}); got != 0 {
			t.Fatalf("got member %d, want the measured member 0 while member 1 awaits its first response", got)
		}
	}
}

func TestPowerOfTwoPrefersTheLighterOfTwo(t *testing.T) {
	ms := newMembers(1, 1)
	for range 5 {
		ms[1].Acquire()
	}
	p := mustNew(t, Options{Algorithm: PowerOfTwo, Rand: seeded(9)}, ms)
	for range 100 {
		if got := p.Pick(&Request{}); got != 0 {
			t.Fatalf("got member %d, want the idle member 0", got)
		}
	}
}
