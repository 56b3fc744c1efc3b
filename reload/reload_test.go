package reload_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/loopback"
	"github.com/fulcrum-lb/fulcrum/reload"
	"github.com/fulcrum-lb/fulcrum/server"
)

// fixture is a fulcrum server started from a file, with a Reloader and a watcher on it.
type fixture struct {
	srv      *server.Server
	ops      *server.Operations
	reloader *reload.Reloader
	path     string
	backends []string // HTTP backends, one per pool p0..p2
	echo     string   // TCP echo backend
	applied  atomic.Int64
}

func startHTTPBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// yaml is the configuration of generation gen: pool p(gen%3) gets weight 1+gen (and so
// differs from the previous generation), the others keep theirs.
func (f *fixture) yaml(gen int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "admin:\n  listen: 127.0.0.1:0\n")
	fmt.Fprintf(&b, "listeners:\n  - name: web\n    listen: 127.0.0.1:0\n    routes:\n")
	fmt.Fprintf(&b, "      - {match: {path_prefix: /p1}, pool: p1}\n      - {match: {path_prefix: /p2}, pool: p2}\n      - pool: p0\n")
	fmt.Fprintf(&b, "  - name: echo\n    protocol: tcp\n    listen: 127.0.0.1:0\n    routes: [{pool: echo}]\n")
	fmt.Fprintf(&b, "pools:\n  - name: echo\n    backends: [{address: %s}]\n", f.echo)
	for i, addr := range f.backends {
		weight := 1
		if gen > 0 && gen%3 == i {
			weight = 1 + gen
		}
		fmt.Fprintf(&b, "  - name: p%d\n    backends: [{address: %s, weight: %d}]\n", i, addr, weight)
	}
	return b.String()
}

func startFixture(t *testing.T, debounce time.Duration) *fixture {
	t.Helper()
	f := &fixture{echo: loopback.TCPEcho(t), path: filepath.Join(t.TempDir(), "fulcrum.yaml")}
	for range 3 {
		f.backends = append(f.backends, startHTTPBackend(t))
	}
	write(t, f.path, f.yaml(0))
	cfg, err := config.Load(f.path)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	f.srv = server.New(logger)
	if err := f.srv.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if f.ops, err = f.srv.StartOperations(f.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.ops.Shutdown(context.Background()); f.srv.Shutdown(context.Background()) })
	f.reloader = &reload.Reloader{Load: func() (*config.Config, error) { return config.Load(f.path) },
		Running: func() *config.Config { return f.srv.Runtime().Snapshot().Config }, Ops: f.ops, Logger: logger}
	f.watch(t, debounce)
	return f
}

// watch reloads through the file watcher, as `fulcrum run -watch` does, counting applies.
func (f *fixture) watch(t *testing.T, debounce time.Duration) {
	w, err := reload.NewWatcher(f.path, debounce)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, func() {
			if out, _ := f.reloader.Reload("file"); out == reload.Applied {
				f.applied.Add(1)
			}
		}, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func write(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// echoSession is a TCP session through the echo listener that exchanges a line on demand.
type echoSession struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialEcho(t *testing.T, addr string) *echoSession {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &echoSession{conn: c, r: bufio.NewReader(c)}
}

func (s *echoSession) exchange(msg string) error {
	s.conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(s.conn, msg+"\n"); err != nil {
		return err
	}
	got, err := s.r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != msg+"\n" {
		return fmt.Errorf("echo: got %q, want %q", got, msg)
	}
	return nil
}

// loadResult counts the requests of a load run.
type loadResult struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
}

// runLoad sends GETs over keep-alive connections from workers for d, spreading them over
// the three pools.
func runLoad(base string, workers int, d time.Duration) *loadResult {
	res := &loadResult{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; time.Now().Before(deadline); i++ {
				res.record(get(client, fmt.Sprintf("%s/p%d", base, i%3)))
			}
		})
	}
	wg.Wait()
	return res
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}

func (r *loadResult) record(err error) {
	if err != nil {
		r.failed.Add(1)
		r.firstErr.CompareAndSwap(nil, err.Error())
		return
	}
	r.ok.Add(1)
}

// minRate is the request rate the load test demands: the 2000 requests/s. Under
// -race the same code runs several times slower; on the shared 2-core rig (load average
// 4-5 from other work), with load generator, fulcrum and backends in one process, it
// sustained 2376/s without -race and 733/s with -race, so under -race the floor is 500/s. The achieved rate is logged either way.
func minRate() float64 {
	if raceEnabled {
		return 500
	}
	return 2000
}

// The Done-when: under keep-alive load for 20 s while the file is rewritten every
// 200 ms (a different pool each time), no request fails, and a TCP session opened before
// on the unchanged listener still exchanges messages at the end.
func TestReloadEvery200msUnderLoad(t *testing.T) {
	duration := 20 * time.Second
	if testing.Short() {
		duration = 3 * time.Second
	}
	f := startFixture(t, 50*time.Millisecond)
	session := dialEcho(t, f.srv.Addr("echo").String())
	if err := session.exchange("before"); err != nil {
		t.Fatalf("echo session before the reloads: %v", err)
	}
	stop := make(chan struct{})
	rewrites := make(chan int, 1)
	go func() { rewrites <- f.rewriteEvery(t, 200*time.Millisecond, stop) }()
	sessionErrs := make(chan error, 1)
	go func() { sessionErrs <- f.keepTalking(session, stop) }()

	start := time.Now()
	res := runLoad("http://"+f.srv.Addr("web").String(), 8, duration)
	elapsed := time.Since(start)
	close(stop)
	n := <-rewrites

	rate := float64(res.ok.Load()+res.failed.Load()) / elapsed.Seconds()
	t.Logf("%d requests in %v (%.0f/s), %d failed; %d rewrites, %d reloads applied",
		res.ok.Load(), elapsed.Round(time.Millisecond), rate, res.failed.Load(), n, f.applied.Load())
	if got := res.failed.Load(); got != 0 {
		t.Errorf("got %d failed requests (first: %v), want 0", got, res.firstErr.Load())
	}
	if rate < minRate() {
		t.Errorf("got %.0f requests/s, want at least %.0f", rate, minRate())
	}
	if got, want := f.applied.Load(), int64(n)*8/10; got < want {
		t.Errorf("got %d reloads applied for %d rewrites, want at least %d", got, n, want)
	}
	if err := <-sessionErrs; err != nil {
		t.Errorf("echo session during the reloads: %v", err)
	}
	if err := session.exchange("after"); err != nil {
		t.Errorf("echo session after %d reloads: got %v, want the message echoed", f.applied.Load(), err)
	}
}

// rewriteEvery replaces the file every period with the next generation until stop, and
// returns how many times it did.
func (f *fixture) rewriteEvery(t *testing.T, period time.Duration, stop <-chan struct{}) int {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for gen := 1; ; gen++ {
		select {
		case <-stop:
			return gen - 1
		case <-tick.C:
			write(t, f.path, f.yaml(gen))
		}
	}
}

// keepTalking exchanges a message every 100 ms on s until stop.
func (f *fixture) keepTalking(s *echoSession, stop <-chan struct{}) error {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		case <-time.After(100 * time.Millisecond):
			if err := s.exchange(fmt.Sprintf("message %d", i)); err != nil {
				return err
			}
		}
	}
}

// A bad file is refused with FILE:LINE:COL in the admin API's history, and the running
// configuration stays; a file that changes nothing changes nothing.
func TestReloadRefusesABadFileAndSkipsAnUnchangedOne(t *testing.T) {
	f := startFixture(t, 20*time.Millisecond)
	before := f.srv.Runtime().Snapshot().Version

	bad := strings.Replace(f.yaml(0), "pool: p0", "pool: p9", 1)
	write(t, f.path, bad)
	waitFor(t, "the refused reload in the history", func() bool { return len(f.reloads(t)) > 1 })
	r := f.reloads(t)[0]
	line, col := lineCol(bad, "p9")
	wantPos := fmt.Sprintf("%s:%d:%d:", f.path, line, col)
	if r.Outcome != "invalid" || !strings.Contains(r.Error, wantPos) {
		t.Errorf("latest reload: got %+v, want outcome invalid with an error at %s…", r, wantPos)
	}
	if got := f.srv.Runtime().Snapshot().Version; got != before {
		t.Errorf("version after a bad file: got %d, want %d (unchanged)", got, before)
	}

	write(t, f.path, "# a comment and a new line change nothing\n\n"+f.yaml(0))
	got, err := f.reloader.Reload("test")
	if got != reload.Unchanged || err != nil {
		t.Errorf("Reload of an equivalent file: got %v, %v; want Unchanged, nil", got, err)
	}
	if v := f.srv.Runtime().Snapshot().Version; v != before {
		t.Errorf("version after an equivalent file: got %d, want %d", v, before)
	}
}

// lineCol is the 1-based line and column of the first occurrence of sub in text.
func lineCol(text, sub string) (int, int) {
	i := strings.Index(text, sub)
	line := strings.Count(text[:i], "\n") + 1
	return line, i - strings.LastIndex(text[:i], "\n")
}

type reloadEvent struct {
	Outcome, Error, Source string
}

// reloads reads the recent reloads from the admin API, newest first.
func (f *fixture) reloads(t *testing.T) []reloadEvent {
	t.Helper()
	resp, err := http.Get("http://" + f.ops.Addr().String() + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Reloads []reloadEvent }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Reloads
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
