package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

const testYAML = `listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - pool: app
pools:
  - name: app
    backends:
      - address: 127.0.0.1:9001
        weight: 3
      - address: 127.0.0.1:9002
`

func newRuntime(t *testing.T) *runtime.Runtime {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(testYAML))
	if err != nil {
		t.Fatal(err)
	}
	rt := runtime.New(nil)
	if _, err := rt.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return rt
}

// scrape fetches /metrics over a real loopback socket.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

// value returns the sample value of the series line starting with series, or "".
func value(text, series string) string {
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			return rest
		}
	}
	return ""
}

func TestCountersMoveAndNamesAreAsDocumented(t *testing.T) {
	rt := newRuntime(t)
	m := metrics.New(rt.Snapshot)
	p := rt.Snapshot().Pools["app"]
	p.Members[0].RecordResult(true)
	p.Members[0].RecordResult(false)
	p.Members[1].Acquire()
	p.Members[1].SetAdminState(backend.Drain)
	m.Request("web", "web/0", "app", "127.0.0.1:9001", 200, 2*time.Millisecond, 5*time.Millisecond, 0)
	m.Request("web", "web/0", "app", "127.0.0.1:9001", 503, 3*time.Millisecond, 9*time.Millisecond, 2)
	m.Request("web", "web/0", "app", "127.0.0.1:9001", 0, 0, time.Millisecond, 0)
	m.Reload("applied")
	m.Reload("invalid")
	text := scrape(t, m)
	b1 := `backend="127.0.0.1:9001",pool="app"`
	b2 := `backend="127.0.0.1:9002",pool="app"`
	route := `backend="127.0.0.1:9001",listener="web",pool="app",route="web/0"`
	for _, tc := range []struct{ series, want string }{
		{`fulcrum_backend_requests_total{` + b1 + `}`, "2"},
		{`fulcrum_backend_failures_total{` + b1 + `}`, "1"},
		{`fulcrum_backend_in_flight{` + b2 + `}`, "1"},
		{`fulcrum_backend_weight{` + b1 + `}`, "3"},
		{`fulcrum_backend_healthy{` + b1 + `}`, "1"},
		{`fulcrum_backend_ejected{` + b1 + `}`, "0"},
		{`fulcrum_backend_ejections_total{` + b1 + `}`, "0"},
		{`fulcrum_backend_admin_state{` + b2 + `,state="drain"}`, "1"},
		{`fulcrum_backend_admin_state{` + b2 + `,state="active"}`, "0"},
		{`fulcrum_config_version`, "1"},
		{`fulcrum_requests_total{backend="127.0.0.1:9001",class="2xx",listener="web",pool="app",route="web/0"}`, "1"},
		{`fulcrum_requests_total{backend="127.0.0.1:9001",class="5xx",listener="web",pool="app",route="web/0"}`, "1"},
		{`fulcrum_requests_total{backend="127.0.0.1:9001",class="none",listener="web",pool="app",route="web/0"}`, "1"},
		{`fulcrum_request_duration_seconds_count{` + route + `}`, "3"},
		{`fulcrum_request_ttfb_seconds_count{` + route + `}`, "2"},
		{`fulcrum_retries_total{listener="web",pool="app",route="web/0"}`, "2"},
		{`fulcrum_reloads_total{outcome="applied"}`, "1"},
		{`fulcrum_reloads_total{outcome="invalid"}`, "1"},
	} {
		if got := value(text, tc.series); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.series, got, tc.want)
		}
	}
	if !strings.Contains(text, "go_goroutines ") {
		t.Error("no Go runtime metrics (go_goroutines)")
	}
}

// TestNamesFollowConventions checks every fulcrum series: counters end in _total,
// histograms in _seconds, and no label holds a path or client address.
func TestNamesFollowConventions(t *testing.T) {
	rt := newRuntime(t)
	m := metrics.New(rt.Snapshot)
	m.Request("web", "web/0", "app", "127.0.0.1:9001", 200, time.Millisecond, time.Millisecond, 0)
	m.Connect("app", "127.0.0.1:9001", time.Millisecond)
	m.Transferred("web", "app", 10, 20)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"listener": true, "route": true, "pool": true, "backend": true, "class": true,
		"state": true, "outcome": true, "direction": true}
	unit := regexp.MustCompile(`_(total|seconds|bytes_total|seconds_total)$`)
	gauges := map[string]bool{"fulcrum_backend_in_flight": true, "fulcrum_backend_healthy": true, "fulcrum_backend_ejected": true,
		"fulcrum_backend_weight": true, "fulcrum_backend_admin_state": true, "fulcrum_config_version": true}
	for _, fam := range families {
		name := fam.GetName()
		if !strings.HasPrefix(name, "fulcrum_") {
			continue
		}
		if !gauges[name] && !unit.MatchString(name) {
			t.Errorf("%s: want a _total, _seconds or _bytes suffix", name)
		}
		for _, metric := range fam.GetMetric() {
			for _, l := range metric.GetLabel() {
				if !allowed[l.GetName()] {
					t.Errorf("%s: label %q is not one of the documented labels", name, l.GetName())
				}
			}
		}
	}
}

func TestRingQuantiles(t *testing.T) {
	var r metrics.Ring
	if q := r.Quantiles(0.5); q != nil {
		t.Errorf("empty ring: got %v, want nil", q)
	}
	for i := 1; i <= 100; i++ {
		r.Add(time.Duration(i) * time.Millisecond)
	}
	q := r.Quantiles(0.5, 0.99)
	if q[0] != 50*time.Millisecond || q[1] != 99*time.Millisecond {
		t.Errorf("got p50 %v p99 %v, want 50ms and 99ms", q[0], q[1])
	}
}

func BenchmarkObserve(b *testing.B) {
	rt := runtime.New(nil)
	m := metrics.New(rt.Snapshot)
	s := m.Resolve("web", "main", "app", "127.0.0.1:9001")
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(200, time.Millisecond, 2*time.Millisecond, 0)
	}
}

func BenchmarkTransferred(b *testing.B) {
	m := metrics.New(func() *runtime.Snapshot { return nil })
	b.ReportAllocs()
	for b.Loop() {
		m.Transferred("web", "app", 100, 200)
	}
}
