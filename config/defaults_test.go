package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// minimalConfig is a valid config; poolExtra is appended to its pool's mapping (each
// line indented by four spaces).
func minimalConfig(poolExtra string) []byte {
	return []byte(`listeners:
  - name: web
    listen: 127.0.0.1:8080
    routes: [{pool: app}]
pools:
  - name: app
    backends: [{address: 127.0.0.1:9001}]
` + poolExtra)
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name      string
		poolExtra string
		got       func(c *Config) any
		want      any
	}{
		{"listener protocol", "", func(c *Config) any { return c.Listeners[0].Protocol }, "http"},
		{"listener drain_timeout", "", func(c *Config) any { return c.Listeners[0].DrainTimeout.Duration }, 30 * time.Second},
		{"listener read_header", "", func(c *Config) any { return c.Listeners[0].Timeouts.ReadHeader.Duration }, 10 * time.Second},
		{"listener idle", "", func(c *Config) any { return c.Listeners[0].Timeouts.Idle.Duration }, 90 * time.Second},
		{"route name", "", func(c *Config) any { return c.Listeners[0].Routes[0].Name }, "web/0"},
		{"algorithm", "", func(c *Config) any { return c.Pools[0].Algorithm }, "round_robin"},
		{"weight", "", func(c *Config) any { return *c.Pools[0].Backends[0].Weight }, 1},
		{"explicit weight 0 kept", "  - name: drained\n    backends: [{address: 127.0.0.1:9001, weight: 0}]\n",
			func(c *Config) any { return *c.Pools[1].Backends[0].Weight }, 0},
		{"retries", "", func(c *Config) any { return *c.Pools[0].Retries }, 2},
		{"explicit retries 0 kept", "    retries: 0\n", func(c *Config) any { return *c.Pools[0].Retries }, 0},
		{"retry_body_limit", "", func(c *Config) any { return c.Pools[0].RetryBodyLimit }, 65536},
		{"when_all_down", "", func(c *Config) any { return c.Pools[0].WhenAllDown }, "fail"},
		{"pool timeouts", "", func(c *Config) any { return c.Pools[0].Timeouts },
			PoolTimeouts{Duration{2 * time.Second}, Duration{30 * time.Second}, Duration{90 * time.Second}}},
		{"health check off", "", func(c *Config) any { return c.Pools[0].HealthCheck }, HealthCheck{Type: "none"}},
		{"health check http", "    health_check: {type: http}\n", func(c *Config) any { return c.Pools[0].HealthCheck },
			HealthCheck{Type: "http", Path: "/", Interval: Duration{5 * time.Second}, Timeout: Duration{time.Second},
				Rise: 2, Fall: 3, ExpectStatus: []string{"200-399"}}},
		{"health check tcp", "    health_check: {type: tcp}\n", func(c *Config) any { return c.Pools[0].HealthCheck },
			HealthCheck{Type: "tcp", Interval: Duration{5 * time.Second}, Timeout: Duration{time.Second}, Rise: 2, Fall: 3}},
		{"health timeout capped by short interval", "    health_check: {type: tcp, interval: 300ms}\n",
			func(c *Config) any { return c.Pools[0].HealthCheck.Timeout.Duration }, 300 * time.Millisecond},
		{"outlier absent", "", func(c *Config) any { return c.Pools[0].Outlier },
			Outlier{ConsecutiveFailures: 0, BaseEjection: Duration{30 * time.Second}, MaxEjectionPercent: 50}},
		{"outlier present", "    outlier: {}\n", func(c *Config) any { return c.Pools[0].Outlier },
			Outlier{ConsecutiveFailures: 5, BaseEjection: Duration{30 * time.Second}, MaxEjectionPercent: 50}},
		{"outlier explicitly off", "    outlier: {consecutive_failures: 0}\n",
			func(c *Config) any { return c.Pools[0].Outlier.ConsecutiveFailures }, 0},
		{"hash", "    algorithm: hash\n", func(c *Config) any {
			p := c.Pools[0]
			return []any{p.HashOn, p.HashMethod, p.MaglevTableSize, p.BoundedLoad}
		}, []any{"source_ip", "maglev", 65537, 0.0}},
		{"hash ring has no table", "    algorithm: hash\n    hash_method: ring\n",
			func(c *Config) any { return c.Pools[0].MaglevTableSize }, 0},
		{"peak_ewma decay", "    algorithm: peak_ewma\n", func(c *Config) any { return c.Pools[0].EWMADecay.Duration }, 10 * time.Second},
		{"no ewma_decay for others", "    algorithm: random\n", func(c *Config) any { return c.Pools[0].EWMADecay.Duration }, time.Duration(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("defaults.yaml", minimalConfig(tt.poolExtra))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := tt.got(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestStatusOK(t *testing.T) {
	tests := []struct {
		expect []string
		code   int
		want   bool
	}{
		{nil, 200, true},
		{nil, 399, true},
		{nil, 400, false},
		{nil, 199, false},
		{[]string{"200"}, 200, true},
		{[]string{"200"}, 201, false},
		{[]string{"204-206", "301"}, 205, true},
		{[]string{"204-206", "301"}, 301, true},
		{[]string{"204-206", "301"}, 302, false},
		{[]string{"bad", "500-599"}, 503, true},
	}
	for _, tt := range tests {
		h := HealthCheck{Type: "http", ExpectStatus: tt.expect}
		if got := h.StatusOK(tt.code); got != tt.want {
			t.Errorf("HealthCheck{ExpectStatus: %q}.StatusOK(%d) = %v, want %v", tt.expect, tt.code, got, tt.want)
		}
	}
}

func TestStatusOKDoesNotAllocate(t *testing.T) {
	h := HealthCheck{ExpectStatus: []string{"200-299", "304"}}
	if n := testing.AllocsPerRun(100, func() { h.StatusOK(304) }); n != 0 {
		t.Errorf("StatusOK allocates %v times per call, want 0", n)
	}
}

func TestDurationText(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"500ms", 500 * time.Millisecond, ""},
		{"2s", 2 * time.Second, ""},
		{"1m", time.Minute, ""},
		{"0s", 0, ""},
		{"5", 0, "invalid duration"},
		{"-1s", 0, "must not be negative"},
		{"", 0, "invalid duration"},
	}
	for _, tt := range tests {
		var d Duration
		err := d.UnmarshalText([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("UnmarshalText(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || d.Duration != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tt.in, d.Duration, err, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"round_robin", "least_connections", "hash"}
	tests := []struct{ word, want string }{
		{"round_robbin", "round_robin"},
		{"least_connection", "least_connections"},
		{"hsah", "hash"}, // a transposition is two edits
		{"fastest", ""},
		{"h", ""}, // one letter is too short to guess from
	}
	for _, tt := range tests {
		if got := suggest(tt.word, names); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestProblemsSortedAndFormatted(t *testing.T) {
	ps := Problems{{"f.yaml", 9, 1, "c"}, {"f.yaml", 2, 7, "b"}, {"f.yaml", 2, 3, "a"}}
	sortByPosition(ps)
	want := "f.yaml:2:3: a\nf.yaml:2:7: b\nf.yaml:9:1: c"
	if got := ps.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	cfg, err := Load("testdata/no-such-file.yaml")
	if err == nil || cfg != nil {
		t.Fatalf("Load(missing) = %v, %v; want nil and an error", cfg, err)
	}
}

func TestParseReturnsProblemsWithPositions(t *testing.T) {
	_, err := Parse("x.yaml", minimalConfig("    retries: many\n"))
	ps, ok := err.(Problems)
	if !ok || len(ps) != 1 {
		t.Fatalf("got %T %v, want one Problem", err, err)
	}
	want := Problem{File: "x.yaml", Line: 8, Col: 14, Msg: `retries: want an integer, got string "many"`}
	if ps[0] != want {
		t.Errorf("got %+v, want %+v", ps[0], want)
	}
}
