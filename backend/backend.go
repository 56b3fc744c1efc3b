// Package backend owns the live state of each backend server: in-flight count, health,
// ejection, latency EWMA and counters. A State is keyed by (pool, address) in a Registry and
// outlives configuration snapshots, so a reload keeps what fulcrum has learned about a server.
//
// Every field a request touches is a typed atomic: reading or updating a State takes no lock,
// except ObserveLatency, which serialises EWMA updates per backend.
package backend

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Admin states set by an operator.
const (
	Active   int32 = iota // takes new traffic
	Drain                 // no new traffic; existing requests and connections finish
	Disabled              // no traffic at all
)

// State is what fulcrum knows about one backend of one pool. Address and Pool are immutable;
// everything else is atomic and may be read or written from any goroutine.
type State struct {
	Pool    string
	Address string

	inFlight     atomic.Int64  // requests (L7) or connections (L4) in progress
	healthy      atomic.Bool   // set by active checks; true until a check says otherwise
	checked      atomic.Bool   // an active check has given a verdict at least once
	ejectedUntil atomic.Int64  // unix nanos; passive outlier ejection
	ejections    atomic.Int64  // times ejected, for growing back-off
	consecFails  atomic.Int64  // consecutive failures seen by the data path
	admin        atomic.Int32  // Active, Drain or Disabled
	requests     atomic.Uint64 // completed requests or connections
	failures     atomic.Uint64 // failed requests or connections
	ewma         atomic.Uint64 // math.Float64bits of the latency EWMA in nanoseconds; 0 = unmeasured

	ewmaMu    sync.Mutex // guards ewmaStamp and read-modify-write of ewma
	ewmaStamp int64      // unix nanos of the last observation
}

// NewState returns the state of a backend not seen before: healthy, active, unmeasured.
func NewState(pool, address string) *State {
	s := &State{Pool: pool, Address: address}
	s.healthy.Store(true)
	return s
}

// Available reports whether the backend may take new traffic at now (unix nanos): healthy,
// not ejected and administratively active.
func (s *State) Available(now int64) bool {
	return s.healthy.Load() && s.ejectedUntil.Load() <= now && s.admin.Load() == Active
}

// Usable reports whether the backend may take traffic when health is ignored (panic mode):
// only operator decisions count.
func (s *State) Usable() bool { return s.admin.Load() == Active }

// InFlight is the number of requests or connections in progress.
func (s *State) InFlight() int64 { return s.inFlight.Load() }

// Acquire counts a request or connection starting; Release counts it ending.
func (s *State) Acquire() { s.inFlight.Add(1) }

// Release counts the end of a request or connection begun with Acquire.
func (s *State) Release() { s.inFlight.Add(-1) }

// Healthy reports the active health verdict.
func (s *State) Healthy() bool { return s.healthy.Load() }

// SetHealthy records the active health verdict and reports whether it changed.
func (s *State) SetHealthy(up bool) bool { return s.healthy.Swap(up) != up }

// MarkChecked records that an active check has given a verdict and reports whether this was
// the first verdict ever for this backend. Only one caller ever sees true.
func (s *State) MarkChecked() (first bool) { return !s.checked.Swap(true) }

// Checked reports whether an active check has ever given a verdict for this backend.
func (s *State) Checked() bool { return s.checked.Load() }

// AdminState returns Active, Drain or Disabled.
func (s *State) AdminState() int32 { return s.admin.Load() }

// SetAdminState sets Active, Drain or Disabled.
func (s *State) SetAdminState(v int32) { s.admin.Store(v) }

// EjectedUntil returns the unix nanos at which a passive ejection ends (0 or past: not ejected).
func (s *State) EjectedUntil() int64 { return s.ejectedUntil.Load() }

// Eject takes the backend out until now + base × (times ejected before + 1) and returns that time.
func (s *State) Eject(now int64, base time.Duration) int64 {
	n := s.ejections.Add(1)
	until := now + int64(base)*n
	s.ejectedUntil.Store(until)
	s.consecFails.Store(0)
	return until
}

// Ejections is how many times the backend has been ejected.
func (s *State) Ejections() int64 { return s.ejections.Load() }

// RecordResult counts a finished request or connection and returns the consecutive failures
// after it (0 after a success).
func (s *State) RecordResult(ok bool) int64 {
	s.requests.Add(1)
	if ok {
		s.consecFails.Store(0)
		return 0
	}
	s.failures.Add(1)
	return s.consecFails.Add(1)
}

// Requests and Failures are cumulative counts.
func (s *State) Requests() uint64 { return s.requests.Load() }

// Failures is the cumulative count of failed requests or connections.
func (s *State) Failures() uint64 { return s.failures.Load() }

// EWMA returns the peak-sensitive latency estimate in nanoseconds, or 0 when unmeasured.
func (s *State) EWMA() float64 { return math.Float64frombits(s.ewma.Load()) }

// ObserveLatency folds one response latency into the peak-sensitive EWMA (Finagle's peak EWMA):
// a sample above the estimate replaces it at once; a lower one is blended in with weight
// decaying over tau since the previous observation.
func (s *State) ObserveLatency(rtt time.Duration, now int64, tau time.Duration) {
	s.ewmaMu.Lock()
	defer s.ewmaMu.Unlock()
	cur, x := s.EWMA(), float64(rtt)
	if cur == 0 || x > cur {
		s.store(x, now)
		return
	}
	elapsed := float64(max(now-s.ewmaStamp, 0))
	w := math.Exp(-elapsed / float64(tau))
	s.store(cur*w+x*(1-w), now)
}

func (s *State) store(v float64, now int64) {
	s.ewma.Store(math.Float64bits(v))
	s.ewmaStamp = now
}

// Member is a backend as one snapshot sees it: shared live State plus this snapshot's
// immutable settings.
type Member struct {
	*State
	Weight         int   // 0 = no new traffic
	MaxConnections int64 // 0 = no cap
}

// Eligible reports whether the member may take a new request at now: weight above zero,
// and either available or (ignoreHealth) not stopped by an operator.
func (m *Member) Eligible(now int64, ignoreHealth bool) bool {
	if m.Weight <= 0 {
		return false
	}
	if ignoreHealth {
		return m.Usable()
	}
	return m.Available(now)
}

// Registry hands out one State per (pool, address) and forgets states no snapshot uses.
// It is used when snapshots are built, never on the request path.
type Registry struct {
	mu sync.Mutex // guards m
	m  map[key]*State
}

type key struct{ pool, address string }

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: make(map[key]*State)} }

// Get returns the state for (pool, address), creating it if new.
func (r *Registry) Get(pool, address string) *State {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key{pool, address}
	s, ok := r.m[k]
	if !ok {
		s = NewState(pool, address)
		r.m[k] = s
	}
	return s
}

// Lookup returns the state for (pool, address) if one exists.
func (r *Registry) Lookup(pool, address string) (*State, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[key{pool, address}]
	return s, ok
}

// Retain forgets every state for which keep returns false.
func (r *Registry) Retain(keep func(pool, address string) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.m {
		if !keep(k.pool, k.address) {
			delete(r.m, k)
		}
	}
}
