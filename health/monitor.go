package health

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
)

// Monitor defaults, used where the configuration leaves a field zero.
const (
	DefaultInterval = 5 * time.Second
	DefaultTimeout  = time.Second
	DefaultRise     = 2
	DefaultFall     = 3
)

// Monitor runs the active checks of one pool: one goroutine per backend, each writing its
// verdicts into the backend's shared State.
//
// Concurrency: everything set by NewMonitor is immutable. OnChange must be set before Start.
// cancel and the WaitGroup belong to Start and Stop, which must be called in that order, once
// each, from one goroutine. Each backend's streak counter is owned by its goroutine.
type Monitor struct {
	pool     string
	checker  Checker // nil: checks off, Start does nothing
	interval time.Duration
	timeout  time.Duration
	rise     int
	fall     int
	port     int
	members  []backend.Member
	logger   *slog.Logger

	// OnChange, if set, is called after each change of a backend's health verdict, from that
	// backend's check goroutine. Nil means no hook.
	OnChange func(pool, address string, up bool)

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewMonitor prepares the checks hc describes for members of pool; zero fields of hc take the
// package defaults. It does no I/O. A nil logger means slog.Default().
func NewMonitor(pool string, hc config.HealthCheck, members []backend.Member, logger *slog.Logger) *Monitor {
	if logger == nil {
		logger = slog.Default()
	}
	return &Monitor{
		pool:     pool,
		checker:  NewChecker(hc),
		interval: orDefault(hc.Interval.Duration, DefaultInterval),
		timeout:  orDefault(hc.Timeout.Duration, DefaultTimeout),
		rise:     orDefault(hc.Rise, DefaultRise),
		fall:     orDefault(hc.Fall, DefaultFall),
		port:     hc.Port,
		members:  members,
		logger:   logger,
	}
}

// orDefault returns v, or def when v is zero or negative (which Validate rejects).
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Start launches one check goroutine per backend; they run until ctx is done or Stop is
// called. With checks off (type none) it does nothing.
func (m *Monitor) Start(ctx context.Context) {
	if m.checker == nil {
		return
	}
	ctx, m.cancel = context.WithCancel(ctx)
	for i := range m.members {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.watch(ctx, m.members[i].State)
		}()
	}
}

// Stop ends the check goroutines and waits for them to return. It may be called without
// Start.
func (m *Monitor) Stop() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

// watch checks one backend at a random moment within the first interval, then every
// interval, until ctx is done.
func (m *Monitor) watch(ctx context.Context, s *backend.State) {
	first := time.NewTimer(rand.N(m.interval))
	defer first.Stop()
	select {
	case <-ctx.Done():
		return
	case <-first.C:
	}
	var streak int
	m.probe(ctx, s, &streak)
	tick := time.NewTicker(m.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.probe(ctx, s, &streak)
		}
	}
}

// probe runs one check and applies its result to s.
func (m *Monitor) probe(ctx context.Context, s *backend.State, streak *int) {
	cctx, cancel := context.WithTimeout(ctx, m.timeout)
	err := m.checker.Check(cctx, checkAddress(s.Address, m.port))
	cancel()
	if ctx.Err() != nil {
		return // stopped mid-check: the result says nothing about the backend
	}
	if err != nil {
		m.logger.Debug("health check failed", "pool", m.pool, "backend", s.Address, "reason", err.Error())
	}
	m.apply(s, err, streak)
}

// apply moves s to the state the check result err calls for, if it calls for a change.
func (m *Monitor) apply(s *backend.State, err error, streak *int) {
	up, first := s.Healthy(), s.MarkChecked()
	next := verdict(up, err == nil, first, streak, m.rise, m.fall)
	if next == up || !s.SetHealthy(next) {
		return
	}
	m.logger.Info("backend health changed", "pool", m.pool, "backend", s.Address,
		"from", stateName(up), "to", stateName(next), "reason", m.reason(err, first))
	if m.OnChange != nil {
		m.OnChange(m.pool, s.Address, next)
	}
}

// verdict is the health state after one check result: pass is the result, first says whether
// it is the backend's first result ever, streak counts consecutive results that disagree with
// the current state. The first result decides on its own; later, rise passes bring a down
// backend up and fall failures take an up backend down.
func verdict(up, pass, first bool, streak *int, rise, fall int) bool {
	if first || pass == up {
		*streak = 0
		return pass
	}
	*streak++
	need := fall
	if pass {
		need = rise
	}
	if *streak < need {
		return up
	}
	*streak = 0
	return pass
}

func stateName(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// reason explains a change caused by check result err.
func (m *Monitor) reason(err error, first bool) string {
	switch {
	case first && err == nil:
		return "first check passed"
	case first:
		return "first check failed: " + err.Error()
	case err == nil:
		return fmt.Sprintf("%d consecutive checks passed", m.rise)
	}
	return fmt.Sprintf("%d consecutive checks failed, last: %v", m.fall, err)
}
