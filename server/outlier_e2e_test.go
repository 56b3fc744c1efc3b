package server_test

import (
	"net/http"
	"testing"
	"time"
)

const outlierYAML = `
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - pool: app
pools:
  - name: app
    backends:
      - address: "{{a}}"
      - address: "{{b}}"
    retries: 0
    outlier: {consecutive_failures: 3, base_ejection: 10s, max_ejection_percent: 50}
    timeouts: {response_header: 300ms}
`

// A backend answering 503 is ejected after consecutive_failures and gets no more traffic.
func TestOutlierEjectsAFailingBackend(t *testing.T) {
	a, b := startBackend(t, "a"), startBackend(t, "b")
	a.handle = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
	srv, url := startFulcrum(t, outlierYAML, a, b)
	c := newClient()
	failures := 0
	for i := 0; i < 40; i++ {
		if code, _ := get(t, c, url); code != 200 {
			failures++
		}
	}
	if a.Hits() != 3 || failures != 3 {
		t.Errorf("got %d requests on the failing backend and %d failed answers, want 3 and 3 (then ejected)", a.Hits(), failures)
	}
	state, _ := srv.Runtime().Registry().Lookup("app", a.addr)
	if until := time.Unix(0, state.EjectedUntil()); time.Until(until) < 5*time.Second {
		t.Errorf("ejected until %v, want about base_ejection (10s) from now", until)
	}
}

// max_ejection_percent 50 of two backends: the second failing backend is not ejected.
func TestOutlierNeverEjectsMoreThanAllowed(t *testing.T) {
	a, b := startBackend(t, "a"), startBackend(t, "b")
	fail := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }
	a.handle, b.handle = fail, fail
	srv, url := startFulcrum(t, outlierYAML, a, b)
	c := newClient()
	for i := 0; i < 20; i++ {
		get(t, c, url)
	}
	now := time.Now().UnixNano()
	ejected := 0
	for _, m := range srv.Runtime().Snapshot().Pools["app"].Members {
		if m.EjectedUntil() > now {
			ejected++
		}
	}
	if ejected != 1 {
		t.Errorf("got %d ejected backends, want 1 (50%% of 2)", ejected)
	}
}

func TestBackendTimeoutIs504(t *testing.T) {
	a, b := startBackend(t, "a"), startBackend(t, "b")
	slow := func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Second) }
	a.handle, b.handle = slow, slow
	_, url := startFulcrum(t, outlierYAML, a, b)
	if code, _ := get(t, newClient(), url); code != http.StatusGatewayTimeout {
		t.Errorf("got %d, want 504 when the backend exceeds response_header", code)
	}
}
