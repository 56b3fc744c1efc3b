package balance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
)

const picks = 100_000

// newMembers returns fresh, healthy, active members with the given weights. Addresses are
// loopback strings only used for hashing; nothing connects to them.
func newMembers(weights ...int) []backend.Member {
	ms := make([]backend.Member, len(weights))
	for i, w := range weights {
		ms[i] = backend.Member{State: backend.NewState("pool", fmt.Sprintf("127.0.0.1:%d", 20000+i)), Weight: w}
	}
	return ms
}

// seeded returns a deterministic random source for one (single-goroutine) test.
func seeded(seed uint64) func() uint64 {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)).Uint64
}

func mustNew(t testing.TB, o Options, ms []backend.Member) Picker {
	t.Helper()
	p, err := New(o, ms)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return p
}

// simulation plays picks against a picker with steady concurrency: each picked member is
// acquired, and once more than concurrency requests are in flight the oldest is released, as if
// every request took the same time. concurrency 0 releases at once.
type simulation struct {
	members     []backend.Member
	picker      Picker
	concurrency int
	key         func() (uint64, bool) // nil: keyless
	// check, if set, sees every pick before its member is acquired.
	check func(picked int)

	queue  []int
	counts []int
}

func (s *simulation) run(t testing.TB, n int) []int {
	t.Helper()
	s.counts = make([]int, len(s.members))
	for range n {
		var r Request
		if s.key != nil {
			r.Key, r.HasKey = s.key()
		}
		i := s.picker.Pick(&r)
		if i < 0 {
			t.Fatalf("Pick = -1 with every member eligible")
		}
		if s.check != nil {
			s.check(i)
		}
		s.counts[i]++
		s.members[i].Acquire()
		s.queue = append(s.queue, i)
		if len(s.queue) > s.concurrency {
			s.members[s.queue[0]].Release()
			s.queue = s.queue[1:]
		}
	}
	s.drain()
	return s.counts
}

func (s *simulation) drain() {
	for _, i := range s.queue {
		s.members[i].Release()
	}
	s.queue = nil
}

func randomKeys(seed uint64) func() (uint64, bool) {
	next := seeded(seed)
	return func() (uint64, bool) { return next(), true }
}

// shareErrors returns, per member, the difference between its share of counts and its share of
// the weights.
func shareErrors(counts []int, ms []backend.Member) []float64 {
	total, weight := 0, 0
	for i := range counts {
		total += counts[i]
		weight += ms[i].Weight
	}
	errs := make([]float64, len(counts))
	for i := range counts {
		errs[i] = float64(counts[i])/float64(total) - float64(ms[i].Weight)/float64(weight)
	}
	return errs
}

func TestSharesFollowWeights(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		concurrency int
		keyed       bool
		tolerance   float64 // largest |share - weight share|
	}{
		{name: "round_robin", opts: Options{Algorithm: RoundRobin}, tolerance: 0.0001},
		{name: "random", opts: Options{Algorithm: Random}, tolerance: 0.01},
		{name: "least_connections equal service", opts: Options{Algorithm: LeastConnections}, concurrency: 100, tolerance: 0.01},
		{name: "power_of_two idle", opts: Options{Algorithm: PowerOfTwo}, tolerance: 0.01},
		{name: "power_of_two equal service", opts: Options{Algorithm: PowerOfTwo}, concurrency: 100, tolerance: 0.01},
		{name: "peak_ewma equal latency", opts: Options{Algorithm: PeakEWMA}, concurrency: 100, tolerance: 0.01},
		{name: "hash maglev", opts: Options{Algorithm: Hash, HashMethod: Maglev}, keyed: true, tolerance: 0.01},
		{name: "hash maglev bounded", opts: Options{Algorithm: Hash, HashMethod: Maglev, BoundedLoad: 1.25}, concurrency: 100, keyed: true, tolerance: 0.01},
		// A ring's shares vary with where its points fall: ~1/sqrt(points) relative. FIGURES.md.
		{name: "hash ring", opts: Options{Algorithm: Hash, HashMethod: Ring}, keyed: true, tolerance: 0.03},
		{name: "hash keyless", opts: Options{Algorithm: Hash}, tolerance: 0.0001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // heavy: 100k picks
			ms := newMembers(1, 2, 3, 4)
			for i := range ms {
				ms[i].ObserveLatency(5*time.Millisecond, 1, time.Second)
			}
			tt.opts.Rand = seeded(1)
			sim := &simulation{members: ms, picker: mustNew(t, tt.opts, ms), concurrency: tt.concurrency}
			if tt.keyed {
				sim.key = randomKeys(2)
			}
			counts := sim.run(t, picks)
			t.Logf("picks %v, share errors %.4f", counts, shareErrors(counts, ms))
			for i, e := range shareErrors(counts, ms) {
				if math.Abs(e) > tt.tolerance {
					t.Errorf("member %d (weight %d): got %d of %d picks, share off by %+.4f, want within ±%.4f",
						i, ms[i].Weight, counts[i], picks, e, tt.tolerance)
				}
			}
		})
	}
}

// everyPicker lists one configuration of each picker, for the checks every picker must pass.
var everyPicker = []struct {
	name string
	opts Options
}{
	{"round_robin", Options{Algorithm: RoundRobin}},
	{"least_connections", Options{Algorithm: LeastConnections}},
	{"random", Options{Algorithm: Random}},
	{"power_of_two", Options{Algorithm: PowerOfTwo}},
	{"first", Options{Algorithm: First}},
	{"peak_ewma", Options{Algorithm: PeakEWMA}},
	{"hash_maglev", Options{Algorithm: Hash, HashMethod: Maglev}},
	{"hash_maglev_bounded", Options{Algorithm: Hash, HashMethod: Maglev, BoundedLoad: 1.25}},
	{"hash_ring", Options{Algorithm: Hash, HashMethod: Ring}},
	{"hash_ring_bounded", Options{Algorithm: Hash, HashMethod: Ring, BoundedLoad: 1.25}},
}

// Members of the eligibility fixture, by what is wrong with them.
const (
	okMember = iota
	unhealthyMember
	ejectedMember
	drainingMember
	weightlessMember
	secondOKMember
)

func eligibilityFixture(now int64) []backend.Member {
	ms := newMembers(1, 1, 1, 1, 0, 1)
	ms[unhealthyMember].SetHealthy(false)
	ms[ejectedMember].Eject(now, time.Minute)
	ms[drainingMember].SetAdminState(backend.Drain)
	return ms
}

func TestPickSkipsIneligibleAndTried(t *testing.T) {
	const now = int64(1_000_000_000)
	tests := []struct {
		name         string
		tried        []int
		ignoreHealth bool
		want         []int // the members a pick may return; empty: -1
	}{
		{name: "only healthy active weighted untried", tried: []int{secondOKMember}, want: []int{okMember}},
		{name: "both healthy", want: []int{okMember, secondOKMember}},
		{name: "none left", tried: []int{okMember, secondOKMember}},
		{name: "ignore health takes unhealthy and ejected, never drain or weight 0",
			tried: []int{okMember, secondOKMember}, ignoreHealth: true, want: []int{unhealthyMember, ejectedMember}},
	}
	for _, p := range everyPicker {
		for _, tt := range tests {
			for _, keyed := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/keyed=%v", p.name, tt.name, keyed), func(t *testing.T) {
					ms := eligibilityFixture(now)
					picker := mustNew(t, p.opts, ms)
					next := seeded(3)
					for range 200 {
						r := Request{Now: now, Tried: tt.tried, IgnoreHealth: tt.ignoreHealth, Key: next(), HasKey: keyed}
						got := picker.Pick(&r)
						if len(tt.want) == 0 && got != -1 || len(tt.want) > 0 && !slices.Contains(tt.want, got) {
							t.Fatalf("Pick = %d, want one of %v (or -1 if none)", got, tt.want)
						}
					}
				})
			}
		}
	}
}

func TestEmptyPoolPicksNone(t *testing.T) {
	for _, p := range everyPicker {
		for _, ms := range [][]backend.Member{nil, newMembers(0, 0)} {
			picker := mustNew(t, p.opts, ms)
			for _, keyed := range []bool{false, true} {
				if got := picker.Pick(&Request{Key: 7, HasKey: keyed}); got != -1 {
					t.Errorf("%s over %d weightless members, keyed=%v: Pick = %d, want -1", p.name, len(ms), keyed, got)
				}
			}
		}
	}
}

func TestPickDoesNotAllocate(t *testing.T) {
	for _, p := range everyPicker {
		t.Run(p.name, func(t *testing.T) {
			ms := newMembers(1, 2, 3, 4, 5)
			picker := mustNew(t, p.opts, ms)
			next := seeded(4)
			r := &Request{HasKey: true, Tried: []int{1}}
			allocs := testing.AllocsPerRun(1000, func() {
				r.Key = next()
				if i := picker.Pick(r); i >= 0 {
					ms[i].Acquire()
				}
			})
			if allocs != 0 {
				t.Errorf("got %v allocations per pick, want 0", allocs)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		members []backend.Member
		wantErr string
	}{
		{"unknown algorithm", Options{Algorithm: "fastest"}, newMembers(1), `unknown algorithm "fastest"`},
		{"unknown hash method", Options{Algorithm: Hash, HashMethod: "rendezvous"}, newMembers(1), `unknown hash method "rendezvous"`},
		{"table size not prime", Options{Algorithm: Hash, TableSize: 65536}, newMembers(1), "must be a prime"},
		{"table size too large", Options{Algorithm: Hash, TableSize: 16777259}, newMembers(1), "must be a prime in [2, 16777216]"},
		{"table smaller than pool", Options{Algorithm: Hash, TableSize: 3}, newMembers(1, 1, 1, 1), "smaller than the 4 members"},
		{"bounded load below 1", Options{Algorithm: Hash, BoundedLoad: 0.5}, newMembers(1), "bounded load 0.5"},
		{"bounded load NaN", Options{Algorithm: Hash, BoundedLoad: math.NaN()}, newMembers(1), "bounded load NaN"},
		{"negative weight", Options{}, newMembers(1, -2), "weight -2 out of range"},
		{"huge weight", Options{}, newMembers(MaxWeight + 1), "out of range"},
		{"no state", Options{}, []backend.Member{{Weight: 1}}, "member 0 has no state"},
		{"negative max connections", Options{Algorithm: First}, []backend.Member{{State: backend.NewState("p", "a"), Weight: 1, MaxConnections: -1}}, "negative max connections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts, tt.members)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEveryConfiguredAlgorithmBuilds(t *testing.T) {
	if !slices.Equal(algorithms, config.Algorithms) {
		t.Errorf("got algorithms %v, want config.Algorithms %v", algorithms, config.Algorithms)
	}
	for _, name := range config.Algorithms {
		if _, err := New(Options{Algorithm: name}, newMembers(1, 2)); err != nil {
			t.Errorf("New(%q): got %v, want no error", name, err)
		}
	}
}
