package health

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/loopback"
)

const (
	testInterval = 50 * time.Millisecond
	testSlack    = 150 * time.Millisecond // scheduling slack on a busy machine
)

// switchable is a backend whose health check answers 200 or 503 as the test decides, and
// which counts the checks it receives.
type switchable struct {
	up     atomic.Bool
	checks atomic.Int64
	addr   string
}

func newSwitchable(t *testing.T, up bool) *switchable {
	t.Helper()
	b := &switchable{}
	b.up.Store(up)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.checks.Add(1)
		if !b.up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	b.addr = srv.Listener.Addr().String()
	return b
}

func httpCheck(rise, fall int) config.HealthCheck {
	return config.HealthCheck{
		Type:     "http",
		Interval: config.Duration{Duration: testInterval},
		Timeout:  config.Duration{Duration: time.Second},
		Rise:     rise,
		Fall:     fall,
	}
}

func membersFor(addrs ...string) []backend.Member {
	ms := make([]backend.Member, len(addrs))
	for i, a := range addrs {
		ms[i] = backend.Member{State: backend.NewState("web", a), Weight: 1}
	}
	return ms
}

// changeLog records OnChange calls.
type changeLog struct {
	mu      sync.Mutex
	changes []string // "address up" or "address down"
}

func (c *changeLog) hook(pool, address string, up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes = append(c.changes, pool+" "+address+" "+stateName(up))
}

func (c *changeLog) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.changes...)
}

// waitFor polls cond until it holds or within passes, and returns how long it took.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("waited %v for %s: got nothing, want it within %v", time.Since(start), what, within)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

func startMonitor(t *testing.T, m *Monitor) {
	ctx, cancel := context.WithCancel(context.Background())
	m.Start(ctx)
	t.Cleanup(func() { cancel(); m.Stop() })
}

func TestMonitorFollowsRiseAndFall(t *testing.T) {
	const rise, fall = 2, 3
	b := newSwitchable(t, true)
	members := membersFor(b.addr)
	var logs bytes.Buffer
	var changes changeLog
	m := NewMonitor("web", httpCheck(rise, fall), members, slog.New(slog.NewTextHandler(&logs, nil)))
	m.OnChange = changes.hook
	startMonitor(t, m)
	s := members[0].State
	waitFor(t, testInterval+testSlack, "two checks", func() bool { return b.checks.Load() >= 2 })
	if !s.Healthy() {
		t.Fatalf("healthy backend: got down, want up")
	}

	b.up.Store(false)
	took := waitFor(t, fall*testInterval+testSlack, "down", func() bool { return !s.Healthy() })
	if least := (fall-1)*testInterval - 10*time.Millisecond; took < least {
		t.Errorf("went down after %v, want at least %v (fall=%d)", took, least, fall)
	}
	b.up.Store(true)
	took = waitFor(t, rise*testInterval+testSlack, "up", func() bool { return s.Healthy() })
	if least := (rise-1)*testInterval - 10*time.Millisecond; took < least {
		t.Errorf("came up after %v, want at least %v (rise=%d)", took, least, rise)
	}

	// The verdict flips first; the log line and then OnChange follow on the monitor's goroutine.
	waitFor(t, testSlack, "OnChange for the rise", func() bool { return len(changes.get()) >= 2 })
	want := []string{"web " + b.addr + " down", "web " + b.addr + " up"}
	if got := changes.get(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("OnChange calls: got %q, want %q", got, want)
	}
	for _, line := range []string{
		"pool=web backend=" + b.addr + " from=up to=down reason=\"3 consecutive checks failed, last: status 503 not expected\"",
		"pool=web backend=" + b.addr + " from=down to=up reason=\"2 consecutive checks passed\"",
	} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("log: got %q, want a line containing %q", logs.String(), line)
		}
	}
}

// TestMonitorFirstCheck pins the initial-state rule: the first result ever is decisive, but a
// backend already checked (a reload recreates the Monitor over the same State) follows fall.
func TestMonitorFirstCheck(t *testing.T) {
	const fall = 3
	tests := []struct {
		name           string
		checkedBefore  bool
		wantChecksDown int64 // checks the failing backend received when it went down
	}{
		{name: "new backend: first failure is decisive", checkedBefore: false, wantChecksDown: 1},
		{name: "reloaded backend: follows fall", checkedBefore: true, wantChecksDown: fall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failing, healthy := newSwitchable(t, true), newSwitchable(t, true)
			members := membersFor(failing.addr, healthy.addr)
			if tt.checkedBefore {
				runUntilChecked(t, members, failing)
			}
			failing.up.Store(false)
			failing.checks.Store(0)

			checksAtDown := make(chan int64, 1)
			m := NewMonitor("web", httpCheck(2, fall), members, slog.New(slog.DiscardHandler))
			m.OnChange = func(pool, address string, up bool) {
				if address == failing.addr && !up {
					checksAtDown <- failing.checks.Load()
				}
			}
			startMonitor(t, m)
			select {
			case got := <-checksAtDown:
				if got != tt.wantChecksDown {
					t.Errorf("went down after %d checks, want %d", got, tt.wantChecksDown)
				}
			case <-time.After(fall*testInterval + testSlack):
				t.Fatalf("backend never went down, want down after %d checks", tt.wantChecksDown)
			}
			if !members[1].Healthy() {
				t.Errorf("the other backend: got down, want up")
			}
		})
	}
}

// runUntilChecked runs a monitor over members until b has answered a check, as the monitor of
// the configuration before a reload would have.
func runUntilChecked(t *testing.T, members []backend.Member, b *switchable) {
	t.Helper()
	m := NewMonitor("web", httpCheck(2, 3), members, slog.New(slog.DiscardHandler))
	m.Start(context.Background())
	waitFor(t, testInterval+testSlack, "first check", func() bool { return b.checks.Load() >= 2 })
	m.Stop()
	if !members[0].Checked() || !members[0].Healthy() {
		t.Fatalf("before reload: got checked=%v healthy=%v, want both true", members[0].Checked(), members[0].Healthy())
	}
}

func TestMonitorStopEndsChecks(t *testing.T) {
	b := newSwitchable(t, true)
	m := NewMonitor("web", httpCheck(2, 3), membersFor(b.addr), nil)
	m.Start(context.Background())
	waitFor(t, testInterval+testSlack, "two checks", func() bool { return b.checks.Load() >= 2 })
	m.Stop()
	before := b.checks.Load()
	time.Sleep(3 * testInterval)
	if after := b.checks.Load(); after != before {
		t.Errorf("checks after Stop: got %d more, want 0", after-before)
	}
}

func TestMonitorPortOverride(t *testing.T) {
	b := newSwitchable(t, true)
	_, port, _ := strings.Cut(b.addr, ":")
	hc := httpCheck(2, 3)
	hc.Port, _ = strconv.Atoi(port)
	members := membersFor(loopback.ClosedPort(t)) // the backend's own port is closed
	startMonitor(t, NewMonitor("web", hc, members, nil))
	waitFor(t, testInterval+testSlack, "checks on the override port", func() bool { return b.checks.Load() >= 2 })
	if !members[0].Healthy() {
		t.Errorf("backend checked on port %d: got down, want up", hc.Port)
	}
}

func TestMonitorNoneDoesNothing(t *testing.T) {
	members := membersFor(loopback.ClosedPort(t))
	m := NewMonitor("web", config.HealthCheck{Type: "none"}, members, nil)
	m.Start(context.Background())
	time.Sleep(2 * testInterval)
	m.Stop()
	if !members[0].Healthy() || members[0].Checked() {
		t.Errorf("type none: got healthy=%v checked=%v, want true and false", members[0].Healthy(), members[0].Checked())
	}
}

func TestVerdict(t *testing.T) {
	const rise, fall = 2, 3
	tests := []struct {
		name    string
		up      bool
		first   bool
		results string // p = pass, f = fail, in order
		want    string // state after each result: u or d
	}{
		{name: "first failure decides", up: true, first: true, results: "f", want: "d"},
		{name: "first pass keeps up", up: true, first: true, results: "p", want: "u"},
		{name: "fall failures take down", up: true, results: "fff", want: "uud"},
		{name: "a pass resets the fall streak", up: true, results: "ffpfff", want: "uuuuud"},
		{name: "rise passes bring up", up: false, results: "pp", want: "du"},
		{name: "a failure resets the rise streak", up: false, results: "pfpp", want: "dddu"},
		{name: "after a change the streak restarts", up: true, results: "fffpp", want: "uuddu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, first, streak := tt.up, tt.first, 0
			var got strings.Builder
			for _, r := range tt.results {
				up = verdict(up, r == 'p', first, &streak, rise, fall)
				first = false
				got.WriteString(map[bool]string{true: "u", false: "d"}[up])
			}
			if got.String() != tt.want {
				t.Errorf("states after %q: got %q, want %q", tt.results, got.String(), tt.want)
			}
		})
	}
}
