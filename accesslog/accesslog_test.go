package accesslog_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
)

func newLogger(t *testing.T, opts accesslog.Options) *accesslog.Logger {
	t.Helper()
	l, err := accesslog.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// lines decodes every JSON line of data.
func lines(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogWritesOneJSONLinePerEntry(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(t, accesslog.Options{Path: "stdout", Stdout: &buf})
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e := l.Start()
	*e = accesslog.Entry{Time: start, Client: "127.0.0.1:5555", Listener: "web", Route: "web/0", Pool: "app",
		Backend: "127.0.0.1:9001", Method: "GET", Host: "example.com", Path: "/a?b=1", Status: 200,
		BytesIn: 10, BytesOut: 2048, TTFB: 3 * time.Millisecond, Total: 5 * time.Millisecond, Retries: 1}
	l.Log(e)
	l.Log(l.Start()) // an empty entry: only time, msg and the always-present numbers
	got := lines(t, buf.Bytes())
	if len(got) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(got), buf.String())
	}
	want := map[string]any{"time": "2025-03-01T12:00:00Z", "msg": "access", "client": "127.0.0.1:5555",
		"listener": "web", "route": "web/0", "pool": "app", "backend": "127.0.0.1:9001", "method": "GET",
		"host": "example.com", "path": "/a?b=1", "status": 200.0, "bytes_in": 10.0, "bytes_out": 2048.0,
		"ttfb_s": 0.003, "total_s": 0.005, "retries": 1.0}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("field %s: got %v, want %v", k, got[0][k], v)
		}
	}
	if len(got[0]) != len(want) {
		t.Errorf("got %d fields, want %d: %v", len(got[0]), len(want), got[0])
	}
	for _, absent := range []string{"level", "error", "retries", "client", "path"} {
		if _, ok := got[1][absent]; ok {
			t.Errorf("empty entry has %q, want it left out: %v", absent, got[1])
		}
	}
}

func TestRecycledEntryStartsEmpty(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(t, accesslog.Options{Path: "stdout", Stdout: &buf})
	for i := range 100 {
		e := l.Start()
		if e.Error != "" || e.Status != 0 {
			t.Fatalf("entry %d from Start: got %+v, want an empty one", i, e)
		}
		e.Error, e.Status = "boom", 502
		l.Log(e)
	}
}

func TestSampling(t *testing.T) {
	const n = 20000
	for _, tc := range []struct {
		name   string
		sample float64
		lo, hi int // bounds on the number of lines: ±5 standard deviations
	}{
		{name: "every request", sample: 1, lo: n, hi: n},
		{name: "unset means every request", sample: 0, lo: n, hi: n},
		{name: "a tenth", sample: 0.1, lo: 1788, hi: 2212},
		{name: "half", sample: 0.5, lo: 9646, hi: 10354},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := newLogger(t, accesslog.Options{Path: "stdout", Stdout: &buf, Sample: tc.sample})
			for range n {
				l.Log(l.Start())
			}
			if got := bytes.Count(buf.Bytes(), []byte("\n")); got < tc.lo || got > tc.hi {
				t.Errorf("got %d lines of %d requests, want %d..%d", got, n, tc.lo, tc.hi)
			}
		})
	}
}

func TestSampledOutCostsNoAllocation(t *testing.T) {
	l := newLogger(t, accesslog.Options{Path: "stdout", Stdout: new(bytes.Buffer), Sample: 1e-12})
	if got := testing.AllocsPerRun(1000, func() { l.Log(l.Start()) }); got != 0 {
		t.Errorf("got %v allocations per sampled-out request, want 0", got)
	}
	var nilLogger *accesslog.Logger
	if e := nilLogger.Start(); e != nil {
		t.Errorf("nil logger: got entry %v, want nil", e)
	}
	nilLogger.Log(nil) // must not panic
}

func TestReopenAfterRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	l := newLogger(t, accesslog.Options{Path: path})
	logPath := func(p string) { e := l.Start(); e.Path = p; l.Log(e) }
	logPath("/before")
	if err := os.Rename(path, path+".1"); err != nil { // what logrotate does
		t.Fatal(err)
	}
	logPath("/between") // still goes to the renamed file until Reopen
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	logPath("/after")
	for file, want := range map[string][]string{path + ".1": {"/before", "/between"}, path: {"/after"}} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range lines(t, data) {
			got = append(got, m["path"].(string))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: got paths %v, want %v", filepath.Base(file), got, want)
		}
	}
}

func TestConcurrentLogAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l := newLogger(t, accesslog.Options{Path: path})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 500 {
				l.Log(l.Start())
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if err := l.Reopen(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	data, _ := os.ReadFile(path)
	if got := len(lines(t, data)); got != 2000 {
		t.Errorf("got %d lines, want 2000 (none lost or torn across reopens)", got)
	}
}

func TestBadOutput(t *testing.T) {
	for _, tc := range []struct{ name, path, want string }{
		{name: "no path", path: "", want: "no path"},
		{name: "missing directory", path: "/nonexistent-fulcrum-dir/access.log", want: "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := accesslog.New(accesslog.Options{Path: tc.path})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func BenchmarkLog(b *testing.B) {
	for _, sample := range []float64{1, 0.01} {
		l, _ := accesslog.New(accesslog.Options{Path: "stdout", Stdout: discard{}, Sample: sample})
		b.Run("sample="+strings.TrimRight(strings.TrimRight(fmtFloat(sample), "0"), "."), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if e := l.Start(); e != nil {
					e.Listener, e.Pool, e.Path, e.Status, e.Total = "web", "app", "/index.html", 200, time.Millisecond
					l.Log(e)
				}
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func fmtFloat(f float64) string { b, _ := json.Marshal(f); return string(b) }
