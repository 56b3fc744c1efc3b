package health

import (
	"log/slog"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
)

// DefaultBaseEjection is the first ejection's length when the configuration leaves it zero.
const DefaultBaseEjection = 30 * time.Second

// Outlier ejects the backends of one pool that fail consecutively, as seen by the data path.
//
// Concurrency: Report may be called from any goroutine. Counting is done by the members'
// atomics; mu is taken only when a backend reaches the failure threshold, and serialises
// ejection decisions so that two backends cannot both pass the max-ejection cap at once.
// Everything else is immutable after NewOutlier.
type Outlier struct {
	threshold  int64 // consecutive failures that eject; 0 = never eject
	base       time.Duration
	maxEjected int // backends that may be ejected at once
	members    []backend.Member
	logger     *slog.Logger

	// OnEject, if set, is called after each ejection with the time it ends, under the
	// ejection lock. Nil means no hook.
	OnEject func(pool, address string, until time.Time)

	mu sync.Mutex // serialises ejection decisions
}

// NewOutlier prepares outlier detection over members from cfg. ConsecutiveFailures 0 turns
// ejection off (results are still counted); BaseEjection 0 means DefaultBaseEjection.
// MaxEjectionPercent is taken as given (the config package fills in its default, 50): 0 means
// no backend may be ejected. A nil logger means slog.Default().
//
// The cap on ejected backends is floor(pool size × percent / 100), raised to 1 when the
// percent is above zero and the pool has at least two backends, so that with 50% a two- or
// three-backend pool can still eject one; a single-backend pool is never ejected unless the
// percent is 100.
func NewOutlier(cfg config.Outlier, members []backend.Member, logger *slog.Logger) *Outlier {
	if logger == nil {
		logger = slog.Default()
	}
	return &Outlier{
		threshold:  int64(max(cfg.ConsecutiveFailures, 0)),
		base:       orDefault(cfg.BaseEjection.Duration, DefaultBaseEjection),
		maxEjected: maxEjected(len(members), cfg.MaxEjectionPercent),
		members:    members,
		logger:     logger,
	}
}

// maxEjected is how many of size backends may be ejected at once under percent.
func maxEjected(size, percent int) int {
	n := size * min(percent, 100) / 100
	if n == 0 && percent > 0 && size >= 2 {
		return 1
	}
	return n
}

// Report records the result of one request or connection on members[i] at now (unix nanos)
// and ejects the backend if it has now failed the threshold number of times in a row. The
// caller decides what a failure is (connect error, reset, 502/503/504). On success it costs
// two atomic operations and no lock.
func (o *Outlier) Report(i int, ok bool, now int64) {
	fails := o.members[i].RecordResult(ok)
	if ok || o.threshold == 0 || fails < o.threshold {
		return
	}
	o.eject(i, fails, now)
}

// eject takes members[i] out unless it already is or the pool's cap is reached; in the latter
// case its failure count keeps growing and the next failure tries again.
func (o *Outlier) eject(i int, fails, now int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := &o.members[i]
	if m.EjectedUntil() > now {
		return
	}
	if ejected := o.ejectedAt(now); ejected >= o.maxEjected {
		o.logger.Debug("outlier ejection skipped: pool at max ejection", "pool", m.Pool,
			"backend", m.Address, "ejected", ejected, "max", o.maxEjected)
		return
	}
	until := time.Unix(0, m.Eject(now, o.base))
	o.logger.Info("backend ejected", "pool", m.Pool, "backend", m.Address,
		"consecutive_failures", fails, "ejections", m.Ejections(), "until", until)
	if o.OnEject != nil {
		o.OnEject(m.Pool, m.Address, until)
	}
}

// ejectedAt counts the members still ejected at now.
func (o *Outlier) ejectedAt(now int64) int {
	n := 0
	for i := range o.members {
		if o.members[i].EjectedUntil() > now {
			n++
		}
	}
	return n
}
