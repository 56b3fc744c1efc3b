package metrics

import (
	"slices"
	"sync/atomic"
	"time"
)

// ringSize is how many recent observations a Ring keeps.
const ringSize = 512

// Ring keeps the most recent durations observed for one backend, for quantiles over recent
// traffic (the dashboard's p50/p99). Add is lock-free; a Quantiles call racing with Adds
// sees a mix of old and new samples, which is fine for a live view.
type Ring struct {
	next  atomic.Uint64
	slots [ringSize]atomic.Int64
}

// Add records one duration, overwriting the oldest once the ring is full.
func (r *Ring) Add(d time.Duration) {
	i := r.next.Add(1) - 1
	r.slots[i%ringSize].Store(int64(d))
}

// Quantiles returns the q-quantiles (0 ≤ q ≤ 1) of the recorded durations, nearest rank,
// or nil when nothing was recorded.
func (r *Ring) Quantiles(qs ...float64) []time.Duration {
	n := min(r.next.Load(), ringSize)
	if n == 0 {
		return nil
	}
	samples := make([]int64, n)
	for i := range samples {
		samples[i] = r.slots[i].Load()
	}
	slices.Sort(samples)
	out := make([]time.Duration, len(qs))
	for i, q := range qs {
		rank := int(q*float64(n)+0.5) - 1
		out[i] = time.Duration(samples[min(max(rank, 0), int(n)-1)])
	}
	return out
}
