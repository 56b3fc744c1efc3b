package admin

import (
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// maxReloads is how many reload events (applied or refused) the dashboard's list keeps.
const maxReloads = 50

// Version is one configuration that was in force, numbered as its snapshot.
type Version struct {
	Version int64          `json:"version"`
	At      time.Time      `json:"applied_at"`
	Source  string         `json:"source"` // api, reload, rollback to N, startup…
	Config  *config.Config `json:"-"`
}

// Reload is one attempt to change the configuration, applied or not.
type Reload struct {
	At      time.Time `json:"at"`
	Source  string    `json:"source"`
	Outcome string    `json:"outcome"`           // applied, invalid, failed
	Version int64     `json:"version,omitempty"` // the version put in force, when applied
	Error   string    `json:"error,omitempty"`
}

// History keeps every applied configuration version and the recent reload attempts.
// It is safe for concurrent use; mu guards everything below it.
type History struct {
	now func() time.Time

	mu       sync.Mutex
	versions []Version // ascending by Version
	reloads  []Reload  // newest last, at most maxReloads
}

func newHistory(now func() time.Time) *History { return &History{now: now} }

// observe records snap's configuration if its version is new, as applied by source.
// It reports whether it recorded anything.
func (h *History) observe(snap *runtime.Snapshot, source string) bool {
	if snap == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.versions); n > 0 && h.versions[n-1].Version >= snap.Version {
		return false
	}
	at := h.now()
	h.versions = append(h.versions, Version{Version: snap.Version, At: at, Source: source, Config: snap.Config})
	h.addReload(Reload{At: at, Source: source, Outcome: "applied", Version: snap.Version})
	return true
}

// refused records a reload attempt that did not change the configuration.
func (h *History) refused(source, outcome string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addReload(Reload{At: h.now(), Source: source, Outcome: outcome, Error: err.Error()})
}

func (h *History) addReload(r Reload) {
	h.reloads = append(h.reloads, r)
	if len(h.reloads) > maxReloads {
		h.reloads = h.reloads[len(h.reloads)-maxReloads:]
	}
}

// list returns a copy of every recorded version, oldest first.
func (h *History) list() []Version {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Version(nil), h.versions...)
}

// recent returns up to n reload attempts, newest first.
func (h *History) recent(n int) []Reload {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Reload, 0, min(n, len(h.reloads)))
	for i := len(h.reloads) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, h.reloads[i])
	}
	return out
}

// find returns the recorded version v.
func (h *History) find(v int64) (Version, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.versions {
		if e.Version == v {
			return e, true
		}
	}
	return Version{}, false
}

// previous returns the version recorded just before the latest one.
func (h *History) previous() (Version, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.versions) < 2 {
		return Version{}, false
	}
	return h.versions[len(h.versions)-2], true
}
