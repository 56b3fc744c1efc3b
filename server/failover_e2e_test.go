package server_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const failoverYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - pool: app
pools:
  - name: app
    algorithm: round_robin
    backends:
      - address: "{{a}}"
      - address: "{{b}}"
      - address: "{{c}}"
    health_check: {type: http, path: /healthz, interval: 200ms, timeout: 100ms, rise: 2, fall: 2}
    retries: 2
`

// Issue 2: one backend killed while GETs run → zero failed requests; marked down within
// interval × fall; back up after rise once restarted.
func TestKilledBackendCausesNoFailedRequests(t *testing.T) {
	bs := threeBackends(t)
	srv, url := startFulcrum(t, failoverYAML, bs...)
	state, _ := srv.Runtime().Registry().Lookup("app", bs[1].addr)

	var ok, failed atomic.Int64
	var failures sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := fetchOK(c, url); err != nil {
					failed.Add(1)
					failures.Store(err.Error(), true)
				} else {
					ok.Add(1)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}

	time.Sleep(1 * time.Second)
	bs[1].kill()
	killed := time.Now()
	down := waitFor(t, "backend b marked down", 2*time.Second, func() bool { return !state.Healthy() })
	t.Logf("marked down %v after the kill (interval 200ms × fall 2 = 400ms, plus one timeout)", down)
	if down > 400*time.Millisecond+200*time.Millisecond {
		t.Errorf("marked down after %v, want within interval × fall (400ms) plus one interval of slack", down)
	}

	time.Sleep(time.Until(killed.Add(2 * time.Second)))
	hitsBefore := bs[1].Hits()
	bs[1].listen(t, bs[1].addr)
	up := waitFor(t, "backend b back up", 2*time.Second, state.Healthy)
	t.Logf("marked up %v after the restart (interval 200ms × rise 2)", up)
	if up > 600*time.Millisecond {
		t.Errorf("back up after %v, want within interval × rise (400ms) plus one interval", up)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	if ok.Load() < 500 {
		t.Errorf("only %d requests ran, want ≥ 500 over the test", ok.Load())
	}
	if failed.Load() != 0 {
		var msgs []string
		failures.Range(func(k, _ any) bool { msgs = append(msgs, k.(string)); return true })
		t.Errorf("%d of %d requests failed: %s", failed.Load(), ok.Load()+failed.Load(), strings.Join(msgs, "; "))
	}
	if bs[1].Hits() == hitsBefore {
		t.Errorf("restarted backend b got no traffic after coming back up")
	}
}

func fetchOK(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return &statusError{resp.StatusCode}
	}
	return nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + http.StatusText(e.code) }
