package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/affinity"
	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/geo"
	"github.com/fulcrum-lb/fulcrum/health"
	"github.com/fulcrum-lb/fulcrum/route"
)

// Runtime publishes the current Snapshot and owns what must outlive one: the backend
// registry and the health monitors. Snapshot is safe to call from any goroutine; Apply and
// Close are serialised by mu.
type Runtime struct {
	registry *backend.Registry
	logger   *slog.Logger
	current  atomic.Pointer[Snapshot]

	mu       sync.Mutex // guards the fields below
	monitors map[string]*monitor
	version  int64
	ctx      context.Context
	cancel   context.CancelFunc
}

type monitor struct {
	key any // what the monitor was built from; a new one is started when it changes
	m   *health.Monitor
}

// New returns a Runtime with no snapshot; call Apply before serving.
func New(logger *slog.Logger) *Runtime {
	ctx, cancel := context.WithCancel(context.Background())
	return &Runtime{registry: backend.NewRegistry(), logger: logger, monitors: map[string]*monitor{}, ctx: ctx, cancel: cancel}
}

// Snapshot returns the snapshot in force; nil before the first Apply.
func (rt *Runtime) Snapshot() *Snapshot { return rt.current.Load() }

// Registry returns the live backend state registry.
func (rt *Runtime) Registry() *backend.Registry { return rt.registry }

// Apply builds a snapshot from a validated cfg, publishes it and reconciles health monitors.
// On error nothing changes.
func (rt *Runtime) Apply(cfg *config.Config) (*Snapshot, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	snap, err := build(cfg, rt.registry, rt.logger)
	if err != nil {
		return nil, err
	}
	rt.version++
	snap.Version = rt.version
	rt.current.Store(snap)
	rt.reconcileMonitors(snap)
	rt.registry.Retain(func(pool, addr string) bool { return snap.hasMember(pool, addr) })
	return snap, nil
}

// Close stops every health monitor.
func (rt *Runtime) Close() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.cancel()
	for name, m := range rt.monitors {
		m.m.Stop()
		delete(rt.monitors, name)
	}
}

func (rt *Runtime) reconcileMonitors(snap *Snapshot) {
	for name, m := range rt.monitors {
		p, ok := snap.Pools[name]
		if !ok || !reflect.DeepEqual(m.key, monitorKey(p)) {
			m.m.Stop()
			delete(rt.monitors, name)
		}
	}
	for name, p := range snap.Pools {
		if _, ok := rt.monitors[name]; ok || p.Config.HealthCheck.Type == "none" || p.Config.HealthCheck.Type == "" {
			continue
		}
		m := health.NewMonitor(name, p.Config.HealthCheck, p.Members, rt.logger)
		m.Start(rt.ctx)
		rt.monitors[name] = &monitor{key: monitorKey(p), m: m}
	}
}

func monitorKey(p *Pool) any {
	addrs := make([]string, len(p.Members))
	for i, m := range p.Members {
		addrs[i] = m.Address
	}
	return struct {
		HC    config.HealthCheck
		Addrs []string
	}{p.Config.HealthCheck, addrs}
}

func (s *Snapshot) hasMember(pool, addr string) bool {
	p, ok := s.Pools[pool]
	if !ok {
		return false
	}
	for _, m := range p.Members {
		if m.Address == addr {
			return true
		}
	}
	return false
}

func build(cfg *config.Config, reg *backend.Registry, logger *slog.Logger) (*Snapshot, error) {
	s := &Snapshot{Config: cfg, Listeners: map[string]*Listener{}, Pools: map[string]*Pool{}}
	if cfg.GeoIP != nil {
		db, err := geo.Open(cfg.GeoIP.Database)
		if err != nil {
			return nil, err
		}
		s.Geo = db
	}
	for _, pc := range cfg.Pools {
		p, err := buildPool(pc, reg, logger)
		if err != nil {
			return nil, fmt.Errorf("pool %q: %w", pc.Name, err)
		}
		s.Pools[pc.Name] = p
	}
	for _, lc := range cfg.Listeners {
		l, err := buildListener(lc, s.Pools, s.Geo)
		if err != nil {
			return nil, fmt.Errorf("listener %q: %w", lc.Name, err)
		}
		s.Listeners[lc.Name] = l
	}
	return s, nil
}

func buildPool(pc config.Pool, reg *backend.Registry, logger *slog.Logger) (*Pool, error) {
	members := make([]backend.Member, len(pc.Backends))
	for i, b := range pc.Backends {
		members[i] = backend.Member{State: reg.Get(pc.Name, b.Address), Weight: weightOf(b), MaxConnections: int64(b.MaxConnections)}
	}
	picker, err := balance.New(balance.Options{
		Algorithm: pc.Algorithm, HashMethod: pc.HashMethod, TableSize: pc.MaglevTableSize, BoundedLoad: pc.BoundedLoad,
	}, members)
	if err != nil {
		return nil, err
	}
	p := &Pool{Name: pc.Name, Config: pc, Members: members, Picker: picker,
		Outlier: health.NewOutlier(pc.Outlier, members, logger), routeAll: pc.WhenAllDown == "route_all",
		ewma: pc.Algorithm == "peak_ewma", tau: pc.EWMADecay.Duration}
	if pc.Retries != nil {
		p.Retries = *pc.Retries
	}
	if p.tau <= 0 {
		p.tau = 10 * time.Second
	}
	p.HashFrom, p.HashName = parseHashOn(pc.HashOn)
	if a := pc.Affinity; a != nil {
		p.Affinity = affinity.New(a.Key, a.PreviousKeys, a.TTL.Duration)
	}
	return p, nil
}

func weightOf(b config.Backend) int {
	if b.Weight == nil {
		return 1
	}
	return *b.Weight
}

func buildListener(lc config.Listener, pools map[string]*Pool, db *geo.DB) (*Listener, error) {
	l := &Listener{Config: lc, trusted: lc.TrustedProxies}
	for i, rc := range lc.Routes {
		m, err := route.Compile(rc.Match, db)
		if err != nil {
			return nil, err
		}
		sni, err := compileSNI(rc.Match)
		if err != nil {
			return nil, err
		}
		r := &Route{Name: rc.Name, Matcher: m, Action: route.CompileAction(rc), Pools: map[string]*Pool{}, sni: sni}
		for _, name := range r.Action.Pools() {
			p, ok := pools[name]
			if !ok {
				return nil, fmt.Errorf("route %d names unknown pool %q", i, name)
			}
			r.Pools[name] = p
		}
		r.Pool = r.Pools[rc.Pool]
		if r.Name == "" {
			r.Name = fmt.Sprintf("%s/%d", lc.Name, i)
		}
		l.Routes = append(l.Routes, r)
	}
	return l, nil
}

// compileSNI parses a route's `sni` patterns; nil means the route takes any server name.
func compileSNI(m *config.Match) ([]route.HostPattern, error) {
	if m == nil || len(m.SNI) == 0 {
		return nil, nil
	}
	pats := make([]route.HostPattern, 0, len(m.SNI))
	for _, s := range m.SNI {
		p, err := route.ParseHostPattern(s)
		if err != nil {
			return nil, err
		}
		pats = append(pats, p)
	}
	return pats, nil
}
