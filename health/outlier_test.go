package health

import (
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
)

const base = 10 * time.Second

func outlierCfg(failures, percent int) config.Outlier {
	return config.Outlier{
		ConsecutiveFailures: failures,
		BaseEjection:        config.Duration{Duration: base},
		MaxEjectionPercent:  percent,
	}
}

func pool(n int) []backend.Member {
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = "10.0.0." + strconv.Itoa(i+1) + ":80"
	}
	return membersFor(addrs...)
}

func newTestOutlier(cfg config.Outlier, members []backend.Member) *Outlier {
	return NewOutlier(cfg, members, slog.New(slog.DiscardHandler))
}

// report feeds results ("f" fail, "p" pass) for member i at now.
func report(o *Outlier, i int, results string, now int64) {
	for _, r := range results {
		o.Report(i, r == 'p', now)
	}
}

func TestOutlierEjectsAfterConsecutiveFailures(t *testing.T) {
	tests := []struct {
		name        string
		results     string
		wantEjected bool
	}{
		{name: "below threshold", results: "ff", wantEjected: false},
		{name: "at threshold", results: "fff", wantEjected: true},
		{name: "a success resets the count", results: "ffpff", wantEjected: false},
		{name: "threshold after a reset", results: "ffpfff", wantEjected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members := pool(3)
			o := newTestOutlier(outlierCfg(3, 50), members)
			const now = int64(1_000_000)
			report(o, 0, tt.results, now)
			got := members[0].EjectedUntil()
			want := int64(0)
			if tt.wantEjected {
				want = now + int64(base)
			}
			if got != want {
				t.Errorf("after %q: got ejected until %d, want %d", tt.results, got, want)
			}
		})
	}
}

func TestOutlierBackOffGrows(t *testing.T) {
	members := pool(2)
	o := newTestOutlier(outlierCfg(2, 50), members)
	now := int64(0)
	for n := int64(1); n <= 3; n++ {
		report(o, 0, "ff", now)
		if got, want := members[0].EjectedUntil(), now+n*int64(base); got != want {
			t.Fatalf("ejection %d: got until %d, want %d (base × %d)", n, got, want, n)
		}
		now = members[0].EjectedUntil() // the ejection ends; the backend takes traffic again
	}
}

func TestOutlierFailuresWhileEjectedDoNotExtend(t *testing.T) {
	members := pool(2)
	o := newTestOutlier(outlierCfg(2, 100), members) // no cap to hide a second ejection
	report(o, 0, "ff", 0)
	until := members[0].EjectedUntil()
	report(o, 0, "ffff", int64(time.Second)) // late answers to requests sent before ejection
	if got := members[0].EjectedUntil(); got != until {
		t.Errorf("ejected until: got %d, want %d unchanged", got, until)
	}
	if got := members[0].Ejections(); got != 1 {
		t.Errorf("ejections: got %d, want 1", got)
	}
}

// TestOutlierMaxEjectionPercent fails every backend of a pool and counts how many get ejected.
func TestOutlierMaxEjectionPercent(t *testing.T) {
	tests := []struct {
		size, percent int
		wantEjected   int
	}{
		{size: 1, percent: 50, wantEjected: 0},
		{size: 2, percent: 50, wantEjected: 1},
		{size: 3, percent: 50, wantEjected: 1},
		{size: 4, percent: 50, wantEjected: 2},
		{size: 10, percent: 10, wantEjected: 1},
		{size: 3, percent: 10, wantEjected: 1}, // floor is 0; raised to 1 in a pool of 2+
		{size: 1, percent: 100, wantEjected: 1},
		{size: 3, percent: 100, wantEjected: 3},
		{size: 3, percent: 0, wantEjected: 0},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.size)+"@"+strconv.Itoa(tt.percent)+"%", func(t *testing.T) {
			members := pool(tt.size)
			o := newTestOutlier(outlierCfg(2, tt.percent), members)
			for i := range members {
				report(o, i, "fff", 0)
			}
			if got := ejectedCount(members, 0); got != tt.wantEjected {
				t.Errorf("pool of %d at %d%%: got %d ejected, want %d", tt.size, tt.percent, got, tt.wantEjected)
			}
		})
	}
}

func TestOutlierCapFreesWhenEjectionEnds(t *testing.T) {
	members := pool(3) // 50%: one at a time
	o := newTestOutlier(outlierCfg(2, 50), members)
	report(o, 0, "ff", 0)
	report(o, 1, "ff", 0)
	if members[1].EjectedUntil() != 0 {
		t.Fatalf("second backend while the first is out: got ejected, want kept (cap 1)")
	}
	later := members[0].EjectedUntil()
	report(o, 1, "f", later) // its failures kept counting; the next one after the cap frees ejects
	if got, want := members[1].EjectedUntil(), later+int64(base); got != want {
		t.Errorf("second backend after the first returns: got until %d, want %d", got, want)
	}
}

func TestOutlierDisabledCountsButNeverEjects(t *testing.T) {
	members := pool(2)
	o := newTestOutlier(outlierCfg(0, 100), members)
	report(o, 0, "ffffffffffp", 0)
	if got := members[0].EjectedUntil(); got != 0 {
		t.Errorf("ejected until: got %d, want 0 (detection off)", got)
	}
	if got, want := members[0].Failures(), uint64(10); got != want {
		t.Errorf("failures counted: got %d, want %d", got, want)
	}
	if got, want := members[0].Requests(), uint64(11); got != want {
		t.Errorf("requests counted: got %d, want %d", got, want)
	}
}

func TestOutlierOnEject(t *testing.T) {
	members := pool(2)
	o := newTestOutlier(outlierCfg(1, 50), members)
	var got []string
	o.OnEject = func(pool, address string, until time.Time) {
		got = append(got, pool+" "+address+" "+strconv.FormatInt(until.UnixNano(), 10))
	}
	report(o, 1, "f", 5)
	want := "web " + members[1].Address + " " + strconv.FormatInt(5+int64(base), 10)
	if len(got) != 1 || got[0] != want {
		t.Errorf("OnEject calls: got %q, want [%q]", got, want)
	}
}

// TestOutlierConcurrentFailuresRespectCap hammers every backend from many goroutines; the
// ejection lock must keep the count within the cap.
func TestOutlierConcurrentFailuresRespectCap(t *testing.T) {
	members := pool(8) // 25%: at most 2
	o := newTestOutlier(outlierCfg(3, 25), members)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for range 200 {
				o.Report(g%len(members), false, 0)
			}
		})
	}
	wg.Wait()
	if got := ejectedCount(members, 0); got != 2 {
		t.Errorf("ejected under concurrent failures: got %d, want 2", got)
	}
}

func ejectedCount(members []backend.Member, now int64) int {
	n := 0
	for i := range members {
		if members[i].EjectedUntil() > now {
			n++
		}
	}
	return n
}

func BenchmarkOutlierReportSuccess(b *testing.B) {
	members := pool(4)
	o := newTestOutlier(outlierCfg(5, 50), members)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			o.Report(i&3, true, 0)
		}
	})
}
