package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// stateCollector reads live backend state and the snapshot in force at scrape time, so the
// data path pays nothing for these metrics beyond the atomics it keeps anyway.
type stateCollector struct {
	snaps     func() *runtime.Snapshot
	requests  *prometheus.Desc
	failures  *prometheus.Desc
	inFlight  *prometheus.Desc
	healthy   *prometheus.Desc
	ejected   *prometheus.Desc
	ejections *prometheus.Desc
	weight    *prometheus.Desc
	admin     *prometheus.Desc
	version   *prometheus.Desc
}

func newStateCollector(snaps func() *runtime.Snapshot) *stateCollector {
	b := []string{"pool", "backend"}
	return &stateCollector{
		snaps:     snaps,
		requests:  prometheus.NewDesc("fulcrum_backend_requests_total", "Requests or connections a backend finished.", b, nil),
		failures:  prometheus.NewDesc("fulcrum_backend_failures_total", "Requests or connections to a backend that failed.", b, nil),
		inFlight:  prometheus.NewDesc("fulcrum_backend_in_flight", "Requests or connections in progress on a backend.", b, nil),
		healthy:   prometheus.NewDesc("fulcrum_backend_healthy", "1 when active health checks pass (or none are configured), else 0.", b, nil),
		ejected:   prometheus.NewDesc("fulcrum_backend_ejected", "1 while passive outlier detection keeps the backend out, else 0.", b, nil),
		ejections: prometheus.NewDesc("fulcrum_backend_ejections_total", "Times outlier detection ejected the backend.", b, nil),
		weight:    prometheus.NewDesc("fulcrum_backend_weight", "Configured weight (share of new traffic).", b, nil),
		admin:     prometheus.NewDesc("fulcrum_backend_admin_state", "Operator state: 1 on the series whose state label is in force.", append(b, "state"), nil),
		version:   prometheus.NewDesc("fulcrum_config_version", "Version number of the configuration in force.", nil, nil),
	}
}

// Describe sends every descriptor.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.failures, c.inFlight, c.healthy, c.ejected, c.ejections, c.weight, c.admin, c.version} {
		ch <- d
	}
}

// Collect reads the snapshot in force; before the first one it sends nothing.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.snaps()
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.version, prometheus.GaugeValue, float64(snap.Version))
	now := time.Now().UnixNano()
	for name, p := range snap.Pools {
		for i := range p.Members {
			c.collectMember(ch, name, &p.Members[i], now)
		}
	}
}

func (c *stateCollector) collectMember(ch chan<- prometheus.Metric, pool string, m *backend.Member, now int64) {
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{pool, m.Address}, extra...)...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, pool, m.Address)
	}
	counter(c.requests, float64(m.Requests()))
	counter(c.failures, float64(m.Failures()))
	counter(c.ejections, float64(m.Ejections()))
	gauge(c.inFlight, float64(m.InFlight()))
	gauge(c.healthy, boolValue(m.Healthy()))
	gauge(c.ejected, boolValue(m.EjectedUntil() > now))
	gauge(c.weight, float64(m.Weight))
	for state, name := range AdminStateNames {
		gauge(c.admin, boolValue(m.AdminState() == state), name)
	}
}

// AdminStateNames names backend admin states as the API and metrics spell them.
var AdminStateNames = map[int32]string{backend.Active: "active", backend.Drain: "drain", backend.Disabled: "disabled"}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
