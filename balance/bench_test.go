package balance

import (
	"testing"
	"time"
)

// BenchmarkPick measures one pick over ten members with some load and latency recorded.
// Run: go test -run x -bench . -benchmem ./balance
func BenchmarkPick(b *testing.B) {
	for _, p := range everyPicker {
		b.Run(p.name, func(b *testing.B) {
			ms := newMembers(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
			for i := range ms {
				ms[i].ObserveLatency(time.Duration(i+1)*time.Millisecond, 1, time.Second)
				for range i % 3 {
					ms[i].Acquire()
				}
			}
			picker := mustNew(b, p.opts, ms)
			r := &Request{HasKey: true}
			b.ReportAllocs()
			for k := uint64(0); b.Loop(); k++ {
				r.Key = k * 0x9e3779b97f4a7c15
				if picker.Pick(r) < 0 {
					b.Fatal("Pick = -1")
				}
			}
		})
	}
}
