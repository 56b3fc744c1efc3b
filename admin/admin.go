// Package admin owns fulcrum's operations surface on the admin listener: the JSON API under
// /api/v1/, the numbered history of applied configurations, the embedded live dashboard at /
// and the /metrics endpoint.
//
// Reads come from the snapshot in force and the live backend state. Every change to the
// configuration (weights, backends, a whole new config, a rollback) is made on a copy,
// checked by config.Parse exactly as a file would be, and put in force through the same
// Apply as a reload; it reaches the config file only when the request says ?persist=true.
// Operator states (drain, disabled) are runtime state of the backend, kept by (pool,
// address): they survive reloads while the backend stays in its pool and are never written
// to the file.
package admin

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Applier puts a validated configuration in force (server.Server does).
type Applier interface {
	Apply(cfg *config.Config) error
}

// Options configure an Admin. Snapshots and Applier are required.
type Options struct {
	Applier   Applier
	Snapshots func() *runtime.Snapshot
	// Metrics serves /metrics and the dashboard's latency quantiles; nil disables both.
	Metrics *metrics.Metrics
	// Token is the bearer token required on the API and /metrics; empty requires none.
	Token string
	// ConfigPath is the file ?persist=true writes; empty refuses persisting.
	ConfigPath string
	Logger     *slog.Logger
	Now        func() time.Time // nil: time.Now
}

// Admin serves the admin API, dashboard and metrics. It is an http.Handler.
type Admin struct {
	opts    Options
	mux     *http.ServeMux
	history *History

	changeMu sync.Mutex // serialises read-modify-apply of the configuration
}

// New returns an Admin. It does no I/O; mount it on a listener with http.Serve.
func New(opts Options) *Admin {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &Admin{opts: opts, mux: http.NewServeMux(), history: newHistory(opts.Now)}
	a.routes()
	return a
}

func (a *Admin) routes() {
	api := map[string]http.HandlerFunc{
		"GET /api/v1/listeners":                          a.getListeners,
		"GET /api/v1/routes":                             a.getRoutes,
		"GET /api/v1/pools":                              a.getPools,
		"GET /api/v1/pools/{pool}":                       a.getPool,
		"PATCH /api/v1/pools/{pool}/backends/{address}":  a.patchBackend,
		"POST /api/v1/pools/{pool}/backends":             a.postBackend,
		"DELETE /api/v1/pools/{pool}/backends/{address}": a.deleteBackend,
		"GET /api/v1/config":                             a.getConfig,
		"POST /api/v1/config":                            a.postConfig,
		"GET /api/v1/config/history":                     a.getHistory,
		"POST /api/v1/config/rollback":                   a.postRollback,
		"GET /api/v1/status":                             a.getStatus,
		"/api/":                                          notFound,
	}
	for pattern, h := range api {
		a.mux.Handle(pattern, a.authorized(a.syncHistory(h)))
	}
	if a.opts.Metrics != nil {
		a.mux.Handle("GET /metrics", a.authorized(a.opts.Metrics.Handler()))
	}
	a.mux.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI) // public: it holds no state
	a.mux.HandleFunc("GET /{$}", serveDashboard)               // public: it asks for the token itself
}

// ServeHTTP dispatches to the API, /metrics or the dashboard.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// authorized requires "Authorization: Bearer <token>" when a token is configured.
func (a *Admin) authorized(h http.Handler) http.Handler {
	if a.opts.Token == "" {
		return h
	}
	want := []byte("Bearer " + a.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(strings.TrimSpace(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fulcrum"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// syncHistory records a configuration put in force behind the API's back (a SIGHUP
// reload) before answering.
func (a *Admin) syncHistory(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.history.observe(a.opts.Snapshots(), "reload")
		h(w, r)
	}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+"; see GET /api/v1/openapi.json")
}
