package server_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A listener whose settings change but whose address stays keeps serving on the same socket:
// no request fails while it is reconfigured, again and again.
func TestChangedListenerOnSameAddressKeepsServing(t *testing.T) {
	a := startBackend(t, "a")
	yaml := func(idle string) string {
		return strings.ReplaceAll(fmt.Sprintf(`
listeners:
  - name: web
    listen: 127.0.0.1:0
    timeouts: {idle: %s}
    routes: [{pool: app}]
pools:
  - name: app
    backends: [{address: "{{a}}"}]
`, idle), "{{a}}", a.addr)
	}
	srv, url := startFulcrum(t, yaml("90s"), a)
	addr := srv.Addr("web").String()
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := newClient() // new connections, so accepting matters
				if err := fetchOK(c, url); err != nil {
					failed.Add(1)
					t.Logf("request failed: %v", err)
				} else {
					ok.Add(1)
				}
				c.CloseIdleConnections()
			}
		}()
	}
	for i := 0; i < 10; i++ {
		time.Sleep(100 * time.Millisecond)
		cfg := testConfig(t, strings.Replace(yaml(fmt.Sprintf("%ds", 60+i)), "127.0.0.1:0", addr, 1))
		if err := srv.Apply(cfg); err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() < 50 {
		t.Errorf("got %d failed and %d good requests across 10 listener changes, want 0 failed (and ≥ 50 good)", failed.Load(), ok.Load())
	}
	if got := srv.Addr("web").String(); got != addr {
		t.Errorf("listener moved from %s to %s", addr, got)
	}
}

// A reload that gives a pool a feature only the net_http engine serves (cookie affinity)
// moves the listener to that engine on the same socket: the feature works at once, also for
// a keep-alive client (the old engine closes its idle connection before the reload returns).
func TestReloadAddingAffinityTakesEffect(t *testing.T) {
	a, b := startBackend(t, "a"), startBackend(t, "b")
	base := `
listeners:
  - name: web
    listen: %s
    routes: [{pool: app}]
pools:
  - name: app
    backends: [{address: "{{a}}"}, {address: "{{b}}"}]
%s`
	fill := func(s string) string {
		return strings.NewReplacer("{{a}}", a.addr, "{{b}}", b.addr).Replace(s)
	}
	srv, url := startFulcrum(t, fill(fmt.Sprintf(base, "127.0.0.1:0", "")), a, b)
	c := newClient()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 0 {
		t.Fatalf("got cookies %v before affinity was configured", resp.Cookies())
	}
	affinity := "    affinity: {type: cookie, name: STICKY, key: a-secret-of-at-least-32-bytes-xxxxxx}\n"
	// The same listen string: only the pool changes.
	if err := srv.Apply(testConfig(t, fill(fmt.Sprintf(base, "127.0.0.1:0", affinity)))); err != nil {
		t.Fatal(err)
	}
	if got := "http://" + srv.Addr("web").String(); got != url {
		t.Fatalf("listener moved from %s to %s", url, got)
	}
	resp, err = c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 1 || resp.Cookies()[0].Name != "STICKY" {
		t.Errorf("after the reload: got cookies %v, want the STICKY affinity cookie", resp.Cookies())
	}
}
