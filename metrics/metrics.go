// Package metrics owns fulcrum's Prometheus metrics: the counters and histograms the data
// paths feed per request, a collector that reads live backend state and the snapshot in
// force at scrape time, reload outcomes, and Go runtime metrics.
//
// Names follow Prometheus conventions (fulcrum_..._total, _seconds, _bytes). Labels carry
// only names from the configuration (listener, route, pool) and backend addresses from it,
// never request paths or client addresses, so cardinality is bounded by the config.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Observer is what a data path reports once per finished request (L7) or connection (L4).
// status is the HTTP status sent to the client, 0 when no response came from a backend;
// ttfb is the time to the backend's response head, total the whole exchange; retries is the
// number of extra attempts. It must be safe for concurrent use and cheap.
type Observer interface {
	Request(listener, route, pool, backend string, status int, ttfb, total time.Duration, retries int)
}

// Metrics is fulcrum's metric registry. All methods are safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	ttfb     *prometheus.HistogramVec
	total    *prometheus.HistogramVec
	connect  *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	reloads  *prometheus.CounterVec

	series    sync.Map // seriesKey → *Series
	transfers sync.Map // transferKey → *[2]prometheus.Counter (in, out)
	latency   sync.Map // backendKey → *Ring
}

type seriesKey struct{ listener, route, pool, backend string }

type backendKey struct{ pool, backend string }

// latencyBuckets span a fast local backend (250µs) to a slow one (30s).
var latencyBuckets = []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns metrics that read the snapshot in force from snaps at scrape time.
func New(snaps func() *runtime.Snapshot) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	route := []string{"listener", "route", "pool", "backend"}
	m.requests = m.counter("fulcrum_requests_total", "Requests (L7) or connections (L4) finished, by status class.", append(route, "class"))
	m.ttfb = m.histogram("fulcrum_request_ttfb_seconds", "Time from sending to a backend to its response head.", route)
	m.total = m.histogram("fulcrum_request_duration_seconds", "Time from receiving a request to finishing its response.", route)
	m.connect = m.histogram("fulcrum_backend_connect_seconds", "Time to open a connection to a backend.", []string{"pool", "backend"})
	m.retries = m.counter("fulcrum_retries_total", "Extra attempts made on other backends.", []string{"listener", "route", "pool"})
	m.bytes = m.counter("fulcrum_transferred_bytes_total", "Bytes relayed, by direction (in: from clients, out: to clients).", []string{"listener", "pool", "direction"})
	m.reloads = m.counter("fulcrum_reloads_total", "Configuration reloads by outcome (applied, invalid, failed).", []string{"outcome"})
	m.reg.MustRegister(newStateCollector(snaps),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) counter(name, help string, labels []string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(v)
	return v
}

func (m *Metrics) histogram(name, help string, labels []string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: latencyBuckets}, labels)
	m.reg.MustRegister(v)
	return v
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the underlying registry, for tests and for gathering in process.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Request records one finished request. It costs one sync.Map lookup to find the series'
// pre-resolved children (created on first use), then atomic updates; callers that can keep
// a *Series should call Resolve once and Series.Observe per request instead.
func (m *Metrics) Request(listener, route, pool, backend string, status int, ttfb, total time.Duration, retries int) {
	m.Resolve(listener, route, pool, backend).Observe(status, ttfb, total, retries)
}

// Connect records the time taken to open a connection to a backend.
func (m *Metrics) Connect(pool, backend string, d time.Duration) {
	m.connect.WithLabelValues(pool, backend).Observe(d.Seconds())
}

// Transferred records bytes relayed for a listener and pool: in from clients, out to them.
// Like Request, it costs one sync.Map lookup of pre-resolved children.
func (m *Metrics) Transferred(listener, pool string, in, out int64) {
	k := transferKey{listener, pool}
	v, ok := m.transfers.Load(k)
	if !ok {
		v, _ = m.transfers.LoadOrStore(k, &[2]prometheus.Counter{
			m.bytes.WithLabelValues(listener, pool, "in"), m.bytes.WithLabelValues(listener, pool, "out")})
	}
	c := v.(*[2]prometheus.Counter)
	c[0].Add(float64(in))
	c[1].Add(float64(out))
}

type transferKey struct{ listener, pool string }

// Reload counts one configuration reload; outcome is applied, invalid (refused by
// validation) or failed (valid but could not be put in force).
func (m *Metrics) Reload(outcome string) { m.reloads.WithLabelValues(outcome).Inc() }

// Latencies returns the recent total durations observed for one backend of a pool, or nil
// when it has served nothing yet.
func (m *Metrics) Latencies(pool, backend string) *Ring {
	r, ok := m.latency.Load(backendKey{pool, backend})
	if !ok {
		return nil
	}
	return r.(*Ring)
}

// Resolve returns the series for one (listener, route, pool, backend), creating its label
// children on first use. The result stays valid for the life of m.
func (m *Metrics) Resolve(listener, route, pool, backend string) *Series {
	k := seriesKey{listener, route, pool, backend}
	if s, ok := m.series.Load(k); ok {
		return s.(*Series)
	}
	s, _ := m.series.LoadOrStore(k, m.newSeries(k))
	return s.(*Series)
}

func (m *Metrics) newSeries(k seriesKey) *Series {
	s := &Series{
		ttfb:    m.ttfb.WithLabelValues(k.listener, k.route, k.pool, k.backend),
		total:   m.total.WithLabelValues(k.listener, k.route, k.pool, k.backend),
		retries: m.retries.WithLabelValues(k.listener, k.route, k.pool),
	}
	for i, class := range statusClasses {
		s.classes[i] = m.requests.WithLabelValues(k.listener, k.route, k.pool, k.backend, class)
	}
	ring, _ := m.latency.LoadOrStore(backendKey{k.pool, k.backend}, new(Ring))
	s.ring = ring.(*Ring)
	return s
}

// statusClasses are the values of the class label: index 0 is a request that got no
// response from any backend, 1–5 the HTTP status classes.
var statusClasses = [6]string{"none", "1xx", "2xx", "3xx", "4xx", "5xx"}

// Series is the pre-resolved set of metrics for one (listener, route, pool, backend).
type Series struct {
	classes [6]prometheus.Counter
	ttfb    prometheus.Observer
	total   prometheus.Observer
	retries prometheus.Counter
	ring    *Ring
}

// Observe records one finished request; it takes no lock and does not allocate.
func (s *Series) Observe(status int, ttfb, total time.Duration, retries int) {
	s.classes[classOf(status)].Inc()
	if status > 0 {
		s.ttfb.Observe(ttfb.Seconds())
	}
	s.total.Observe(total.Seconds())
	if retries > 0 {
		s.retries.Add(float64(retries))
	}
	s.ring.Add(total)
}

func classOf(status int) int {
	if status < 100 || status > 599 {
		return 0
	}
	return status / 100
}

// ClassLabel returns the class label value for an HTTP status, as used by
// fulcrum_requests_total.
func ClassLabel(status int) string { return statusClasses[classOf(status)] }
