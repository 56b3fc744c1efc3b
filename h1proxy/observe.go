package h1proxy

import (
	"time"

	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// seriesResolver is an Observer that resolves the series of a (listener, route, pool,
// backend) once; metrics.Metrics is one. Requests then observe the series directly, found by
// pointer identity instead of by four label strings.
type seriesResolver interface {
	Resolve(listener, route, pool, backend string) *metrics.Series
}

type seriesKey struct {
	route  *runtime.Route
	pool   *runtime.Pool
	member int
}

// observe tells the Observer about a proxied request.
func (s *Server) observe(rt *runtime.Route, p *runtime.Pool, member, status int, ttfb, total time.Duration, retries int) {
	if s.Observer == nil {
		return
	}
	r, ok := s.Observer.(seriesResolver)
	if !ok {
		s.Observer.Request(s.name, rt.Name, p.Name, memberAddress(p, member), status, ttfb, total, retries)
		return
	}
	series := s.series.get(seriesKey{rt, p, member}, func(k seriesKey) *metrics.Series {
		return r.Resolve(s.name, k.route.Name, k.pool.Name, memberAddress(k.pool, k.member))
	})
	series.Observe(status, ttfb, total, retries)
}

func memberAddress(p *runtime.Pool, i int) string {
	if i < 0 {
		return ""
	}
	return p.Members[i].Address
}
