package server_test

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const poolYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - pool: app
pools:
  - name: app
    algorithm: %s
%s    backends:
      - {address: "{{a}}", weight: %d%s}
      - {address: "{{b}}", weight: %d}
      - {address: "{{c}}", weight: %d}
`

func threeBackends(t *testing.T) []*testBackend {
	return []*testBackend{startBackend(t, "a"), startBackend(t, "b"), startBackend(t, "c")}
}

func hits(bs []*testBackend) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = b.Hits()
	}
	return out
}

// sendSequential sends n GETs one after another and fails on any non-200.
func sendSequential(t *testing.T, url string, n int, header map[string]string) {
	t.Helper()
	c := newClient()
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest("GET", url, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: got status %d, want 200", i, resp.StatusCode)
		}
	}
}

func assertShares(t *testing.T, got []int, weights []int, tolerance float64) {
	t.Helper()
	total, wsum := 0, 0
	for i := range got {
		total += got[i]
		wsum += weights[i]
	}
	for i := range got {
		share, want := float64(got[i])/float64(total), float64(weights[i])/float64(wsum)
		if math.Abs(share-want) > tolerance {
			t.Errorf("backend %d: got share %.3f (%d of %d), want %.3f ± %.3f", i, share, got[i], total, want, tolerance)
		}
	}
}

func TestWeightedAlgorithmsDistributeByWeight(t *testing.T) {
	for _, tc := range []struct {
		algorithm string
		requests  int
		tolerance float64
	}{
		{algorithm: "round_robin", requests: 600, tolerance: 0.01},
		{algorithm: "random", requests: 3000, tolerance: 0.04},
		{algorithm: "power_of_two", requests: 3000, tolerance: 0.04},
	} {
		t.Run(tc.algorithm, func(t *testing.T) {
			bs := threeBackends(t)
			_, url := startFulcrum(t, fmt.Sprintf(poolYAML, tc.algorithm, "", 1, "", 2, 3), bs...)
			sendSequential(t, url, tc.requests, nil)
			assertShares(t, hits(bs), []int{1, 2, 3}, tc.tolerance)
		})
	}
}

// slowFirst makes backend a take delay per request.
func slowFirst(bs []*testBackend, delay time.Duration) {
	bs[0].handle = func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.Write([]byte("a"))
	}
}

// sendConcurrent sends n GETs from workers clients in parallel.
func sendConcurrent(t *testing.T, url string, n, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	jobs := make(chan int, n)
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	c := newClient()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				resp, err := c.Get(url)
				if err != nil {
					errs <- err
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("request failed: %v", err)
	}
}

func TestLoadAwareAlgorithmsAvoidASlowBackend(t *testing.T) {
	for _, algorithm := range []string{"least_connections", "power_of_two", "peak_ewma"} {
		t.Run(algorithm, func(t *testing.T) {
			bs := threeBackends(t)
			slowFirst(bs, 40*time.Millisecond)
			_, url := startFulcrum(t, fmt.Sprintf(poolYAML, algorithm, "", 1, "", 1, 1), bs...)
			sendConcurrent(t, url, 600, 6)
			got := hits(bs)
			if share := float64(got[0]) / 600; share > 0.2 {
				t.Errorf("slow backend got share %.2f (%v), want ≤ 0.20 (fair share is 0.33)", share, got)
			}
			if got[0] == 0 {
				t.Errorf("slow backend got no request at all (%v); it should still be tried", got)
			}
		})
	}
}

func TestLeastConnectionsRotatesTies(t *testing.T) {
	bs := threeBackends(t)
	_, url := startFulcrum(t, fmt.Sprintf(poolYAML, "least_connections", "", 1, "", 1, 1), bs...)
	sendSequential(t, url, 300, nil)
	assertShares(t, hits(bs), []int{1, 1, 1}, 0.02)
}

// countConcurrent makes b count its requests in flight; it returns the most seen at once.
func countConcurrent(b *testBackend) func() int {
	var mu sync.Mutex
	in, most := 0, 0
	b.handle = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		in++
		most = max(most, in)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		in--
		mu.Unlock()
	}
	return func() int { mu.Lock(); defer mu.Unlock(); return most }
}

func TestFirstFillsInOrderUpToMaxConnections(t *testing.T) {
	bs := threeBackends(t)
	maxA := countConcurrent(bs[0])
	_, url := startFulcrum(t, fmt.Sprintf(poolYAML, "first", "", 1, ", max_connections: 2", 1, 1), bs...)
	sendSequential(t, url, 20, nil)
	if got := hits(bs); got[0] != 20 {
		t.Fatalf("sequential requests: got %v, want all 20 on the first backend", got)
	}
	sendConcurrent(t, url, 100, 6)
	got := hits(bs)
	if maxA() > 2 {
		t.Errorf("first backend had %d requests at once, want ≤ max_connections 2", maxA())
	}
	if got[1] == 0 || got[2] != 0 {
		t.Errorf("got %v: want the overflow on the second backend (no cap) and none on the third", got)
	}
}

// TestMaxConnectionsCapsEveryAlgorithm: round robin passes over a member at its
// max_connections, and doing so is not counted as a retry (no backend failed).
func TestMaxConnectionsCapsEveryAlgorithm(t *testing.T) {
	bs := threeBackends(t)
	maxA := countConcurrent(bs[0])
	srv, url := startFulcrum(t, fmt.Sprintf(poolYAML, "round_robin", "", 1, ", max_connections: 1", 1, 1), bs...)
	sendConcurrent(t, url, 120, 6)
	if maxA() > 1 {
		t.Errorf("capped backend had %d requests at once, want ≤ max_connections 1", maxA())
	}
	if got := hits(bs); got[0] == 0 || got[0] >= got[1] {
		t.Errorf("got %v: want the capped backend used, and less than the others", got)
	}
	rec := httptest.NewRecorder()
	srv.Metrics().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "fulcrum_retries_total{") && !strings.HasSuffix(l, " 0") {
			t.Errorf("/metrics counts retries for members skipped at max_connections: %s", l)
		}
	}
}

func TestHashKeepsAKeyOnOneBackend(t *testing.T) {
	for _, method := range []string{"maglev", "ring"} {
		t.Run(method, func(t *testing.T) {
			bs := threeBackends(t)
			opts := "    hash_on: header:X-User\n    hash_method: " + method + "\n"
			_, url := startFulcrum(t, fmt.Sprintf(poolYAML, "hash", opts, 1, "", 1, 1), bs...)
			c := newClient()
			owners := map[string]string{}
			for round := 0; round < 3; round++ {
				for u := 0; u < 60; u++ {
					req, _ := http.NewRequest("GET", url, nil)
					req.Header.Set("X-User", fmt.Sprintf("user-%d", u))
					resp, err := c.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					key, who := fmt.Sprint(u), resp.Header.Get("X-Backend")
					if prev, ok := owners[key]; ok && prev != who {
						t.Fatalf("user-%d moved from %s to %s", u, prev, who)
					}
					owners[key] = who
				}
			}
			for i, n := range hits(bs) {
				if n == 0 {
					t.Errorf("backend %d got no keys: hashing does not spread", i)
				}
			}
			before := hits(bs)
			sendSequential(t, url, 30, nil) // no key: round robin
			for i, n := range hits(bs) {
				if n-before[i] != 10 {
					t.Errorf("keyless requests: backend %d got %d, want 10 (round robin)", i, n-before[i])
				}
			}
		})
	}
}

func TestHashOnSourceIP(t *testing.T) {
	bs := threeBackends(t)
	_, url := startFulcrum(t, fmt.Sprintf(poolYAML, "hash", "    hash_on: source_ip\n", 1, "", 1, 1), bs...)
	seen := map[string]bool{}
	for i := 2; i < 40; i++ {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(i))}
		c := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: local}).DialContext}}
		first := ""
		for j := 0; j < 3; j++ {
			resp, err := c.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			who := resp.Header.Get("X-Backend")
			if first != "" && who != first {
				t.Fatalf("client 127.0.0.%d moved from %s to %s", i, first, who)
			}
			first = who
		}
		seen[first] = true
	}
	if len(seen) != 3 {
		t.Errorf("38 client addresses reached %d backends, want 3", len(seen))
	}
}
