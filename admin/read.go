package admin

import (
	"net/http"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

type listenerView struct {
	Name     string      `json:"name"`
	Protocol string      `json:"protocol"`
	Listen   string      `json:"listen"`
	Routes   []routeView `json:"routes"`
}

type routeView struct {
	Listener string `json:"listener"`
	Name     string `json:"name"`
	Pool     string `json:"pool"`
}

type poolView struct {
	Name      string        `json:"name"`
	Algorithm string        `json:"algorithm"`
	Backends  []backendView `json:"backends"`
}

// backendView is one backend's configuration and live state. Latencies are over the
// backend's recent requests (nil when it has served none, or metrics are off).
type backendView struct {
	Address      string     `json:"address"`
	Weight       int        `json:"weight"`
	State        string     `json:"state"` // active | drain | disabled
	Healthy      bool       `json:"healthy"`
	Ejected      bool       `json:"ejected"`
	EjectedUntil *time.Time `json:"ejected_until,omitempty"`
	InFlight     int64      `json:"in_flight"`
	Requests     uint64     `json:"requests"`
	Failures     uint64     `json:"failures"`
	EWMAms       *float64   `json:"latency_ewma_ms,omitempty"`
	P50ms        *float64   `json:"latency_p50_ms,omitempty"`
	P99ms        *float64   `json:"latency_p99_ms,omitempty"`
}

func (a *Admin) getListeners(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, listenersOf(a.opts.Snapshots()))
}

func (a *Admin) getRoutes(w http.ResponseWriter, r *http.Request) {
	var out []routeView
	for _, l := range listenersOf(a.opts.Snapshots()) {
		out = append(out, l.Routes...)
	}
	writeJSON(w, http.StatusOK, orEmpty(out))
}

func (a *Admin) getPools(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.poolsOf(a.opts.Snapshots()))
}

func (a *Admin) getPool(w http.ResponseWriter, r *http.Request) {
	p, ok := a.opts.Snapshots().Pools[r.PathValue("pool")]
	if !ok {
		writeError(w, http.StatusNotFound, "no pool named "+quote(r.PathValue("pool")))
		return
	}
	writeJSON(w, http.StatusOK, a.poolView(p, time.Now()))
}

// getBackend answers with one backend's view after a change.
func (a *Admin) getBackend(w http.ResponseWriter, pool, addr string) {
	a.writeBackend(w, http.StatusOK, pool, addr)
}

func (a *Admin) writeBackend(w http.ResponseWriter, status int, pool, addr string) {
	m, err := a.findBackend(pool, addr)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, status, a.backendView(pool, m, time.Now()))
}

func listenersOf(snap *runtime.Snapshot) []listenerView {
	out := []listenerView{}
	for _, lc := range snap.Config.Listeners {
		lv := listenerView{Name: lc.Name, Protocol: lc.Protocol, Listen: lc.Listen, Routes: []routeView{}}
		if l, ok := snap.Listeners[lc.Name]; ok {
			for _, rt := range l.Routes {
				lv.Routes = append(lv.Routes, routeView{Listener: lc.Name, Name: rt.Name, Pool: rt.Pool.Name})
			}
		}
		out = append(out, lv)
	}
	return out
}

// poolsOf lists pools in configuration order.
func (a *Admin) poolsOf(snap *runtime.Snapshot) []poolView {
	now := time.Now()
	out := []poolView{}
	for _, pc := range snap.Config.Pools {
		if p, ok := snap.Pools[pc.Name]; ok {
			out = append(out, a.poolView(p, now))
		}
	}
	return out
}

func (a *Admin) poolView(p *runtime.Pool, now time.Time) poolView {
	v := poolView{Name: p.Name, Algorithm: p.Config.Algorithm, Backends: make([]backendView, len(p.Members))}
	for i := range p.Members {
		v.Backends[i] = a.backendView(p.Name, &p.Members[i], now)
	}
	return v
}

func (a *Admin) backendView(pool string, m *backend.Member, now time.Time) backendView {
	v := backendView{Address: m.Address, Weight: m.Weight, State: metrics.AdminStateNames[m.AdminState()],
		Healthy: m.Healthy(), InFlight: m.InFlight(), Requests: m.Requests(), Failures: m.Failures()}
	if until := m.EjectedUntil(); until > now.UnixNano() {
		t := time.Unix(0, until).UTC()
		v.Ejected, v.EjectedUntil = true, &t
	}
	if e := m.EWMA(); e > 0 {
		v.EWMAms = ms(time.Duration(e))
	}
	if a.opts.Metrics != nil {
		if ring := a.opts.Metrics.Latencies(pool, m.Address); ring != nil {
			q := ring.Quantiles(0.5, 0.99)
			v.P50ms, v.P99ms = ms(q[0]), ms(q[1])
		}
	}
	return v
}

func ms(d time.Duration) *float64 {
	f := float64(d) / float64(time.Millisecond)
	return &f
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// status is everything the dashboard shows, in one poll.
type status struct {
	Version   int64          `json:"version"`
	Time      int64          `json:"time_ms"` // server clock, for rates
	Listeners []listenerView `json:"listeners"`
	Pools     []poolView     `json:"pools"`
	Reloads   []Reload       `json:"reloads"`
}

func (a *Admin) getStatus(w http.ResponseWriter, r *http.Request) {
	snap := a.opts.Snapshots()
	st := status{Version: snap.Version, Time: a.opts.Now().UnixMilli(), Listeners: listenersOf(snap),
		Pools: a.poolsOf(snap), Reloads: orEmpty(a.history.recent(10))}
	writeJSON(w, http.StatusOK, st)
}
