package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/admin"
	"github.com/fulcrum-lb/fulcrum/config"
)

type backendJSON struct {
	Address  string   `json:"address"`
	Weight   int      `json:"weight"`
	State    string   `json:"state"`
	Healthy  bool     `json:"healthy"`
	InFlight int64    `json:"in_flight"`
	Requests uint64   `json:"requests"`
	P50      *float64 `json:"latency_p50_ms"`
}

type poolJSON struct {
	Name     string        `json:"name"`
	Backends []backendJSON `json:"backends"`
}

type errorJSON struct {
	Error    string `json:"error"`
	Problems []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Col     int    `json:"col"`
		Message string `json:"message"`
	} `json:"problems"`
	Diff string `json:"diff"`
}

type changeJSON struct {
	Version int64  `json:"version"`
	Changed bool   `json:"changed"`
	Diff    string `json:"diff"`
}

func backendPath(pool, addr string) string {
	return "/api/v1/pools/" + pool + "/backends/" + url.PathEscape(addr)
}

func TestReadEndpoints(t *testing.T) {
	f := newFixture(t)
	f.traffic(6)
	var listeners []struct {
		Name   string `json:"name"`
		Routes []struct{ Name, Pool string }
	}
	f.callJSON("GET", "/api/v1/listeners", "", 200, &listeners)
	if len(listeners) != 1 || listeners[0].Name != "web" || len(listeners[0].Routes) != 1 || listeners[0].Routes[0].Pool != "app" {
		t.Errorf("listeners: got %+v, want web with one route to app", listeners)
	}
	var routes []struct{ Listener, Name, Pool string }
	f.callJSON("GET", "/api/v1/routes", "", 200, &routes)
	if len(routes) != 1 || routes[0].Name != "main" || routes[0].Listener != "web" {
		t.Errorf("routes: got %+v, want main on web", routes)
	}
	var pools []poolJSON
	f.callJSON("GET", "/api/v1/pools", "", 200, &pools)
	if len(pools) != 2 || pools[0].Name != "app" || pools[1].Name != "spare" {
		t.Errorf("pools: got %+v, want app and spare in config order", pools)
	}
	var app poolJSON
	f.callJSON("GET", "/api/v1/pools/app", "", 200, &app)
	var total uint64
	for _, b := range app.Backends {
		total += b.Requests
		if b.State != "active" || !b.Healthy || b.Weight != 1 {
			t.Errorf("backend %s: got state %s healthy %v weight %d, want active, healthy, 1", b.Address, b.State, b.Healthy, b.Weight)
		}
	}
	if len(app.Backends) != 3 || total != 6 {
		t.Errorf("pool app: got %d backends with %d requests, want 3 with 6", len(app.Backends), total)
	}
}

func TestUnknownThingsAre404(t *testing.T) {
	f := newFixture(t)
	alpha := f.addr("alpha")
	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", "/api/v1/pools/nope", "", `no pool named "nope"`},
		{"PATCH", backendPath("nope", alpha), `{"weight":2}`, `no pool named "nope"`},
		{"PATCH", backendPath("app", "127.0.0.1:1"), `{"weight":2}`, `pool "app" has no backend 127.0.0.1:1`},
		{"DELETE", backendPath("app", "127.0.0.1:1"), "", `pool "app" has no backend 127.0.0.1:1`},
		{"POST", "/api/v1/pools/nope/backends", `{"address":"127.0.0.1:1"}`, `no pool named "nope"`},
		{"POST", "/api/v1/config/rollback", `{"version":99}`, "no configuration version 99"},
		{"GET", "/api/v1/nothing", "", "no such endpoint"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var e errorJSON
			f.callJSON(tc.method, tc.path, tc.body, http.StatusNotFound, &e)
			if !strings.Contains(e.Error, tc.want) {
				t.Errorf("got error %q, want it to mention %q", e.Error, tc.want)
			}
		})
	}
	if v := f.version(); v != 1 {
		t.Errorf("got version %d after refused calls, want 1", v)
	}
}

func TestBadPatchChangesNothing(t *testing.T) {
	f := newFixture(t)
	path := backendPath("app", f.addr("alpha"))
	for _, tc := range []struct{ name, body, want string }{
		{"negative weight", `{"weight":-1}`, "weight must be 0 or more, got -1"},
		{"unknown state", `{"state":"asleep"}`, `state "asleep" is not one of active, drain, disabled`},
		{"nothing to change", `{}`, "nothing to change"},
		{"unknown field", `{"wieght":2}`, `unknown field "wieght"`},
		{"not JSON", `weight=2`, "not valid JSON"},
		{"weight is a string", `{"weight":"2"}`, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e errorJSON
			f.callJSON("PATCH", path, tc.body, http.StatusBadRequest, &e)
			if !strings.Contains(e.Error, tc.want) {
				t.Errorf("got error %q, want it to mention %q", e.Error, tc.want)
			}
		})
	}
	var e errorJSON
	f.callJSON("PATCH", path+"?persist=maybe", `{"weight":2}`, http.StatusBadRequest, &e)
	if v := f.version(); v != 1 {
		t.Errorf("got version %d after bad patches, want 1", v)
	}
	if w := f.srv.Runtime().Snapshot().Pools["app"].Members[0].Weight; w != 1 {
		t.Errorf("got weight %d after bad patches, want 1", w)
	}
}

func TestPatchWeightAppliesAndSteersTraffic(t *testing.T) {
	f := newFixture(t)
	alpha := f.addr("alpha")
	var b backendJSON
	f.callJSON("PATCH", backendPath("app", alpha), `{"weight":0}`, 200, &b)
	if b.Weight != 0 || f.version() != 2 {
		t.Fatalf("got weight %d at version %d, want 0 at version 2", b.Weight, f.version())
	}
	if got := f.traffic(12); got["alpha"] != 0 || got["bravo"] != 6 || got["charlie"] != 6 {
		t.Errorf("traffic after weight 0 on alpha: got %v, want bravo and charlie 6 each", got)
	}
	onDisk, err := config.Load(f.configPath)
	if err != nil {
		t.Fatal(err)
	}
	if w := onDisk.Pools[0].Backends[0].Weight; w == nil || *w != 1 {
		t.Errorf("config file changed without persist=true: got weight %v, want 1", w)
	}
}

func TestPersistWritesTheFile(t *testing.T) {
	f := newFixture(t)
	f.callJSON("PATCH", backendPath("app", f.addr("bravo"))+"?persist=true", `{"weight":5}`, 200, nil)
	onDisk, err := config.Load(f.configPath)
	if err != nil {
		t.Fatalf("persisted file does not load: %v", err)
	}
	if w := onDisk.Pools[0].Backends[1].Weight; w == nil || *w != 5 {
		t.Errorf("persisted weight of bravo: got %v, want 5", w)
	}
}

func TestPersistWithoutConfigFileIs400(t *testing.T) {
	f := newFixture(t)
	rt := f.srv.Runtime()
	a := admin.New(admin.Options{Applier: f.srv, Snapshots: rt.Snapshot})
	api := httptest.NewServer(a)
	defer api.Close()
	req, _ := http.NewRequest("PATCH", api.URL+backendPath("app", f.addr("bravo"))+"?persist=true", strings.NewReader(`{"weight":5}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || f.version() != 1 {
		t.Errorf("got status %d, version %d; want 400 and version 1", resp.StatusCode, f.version())
	}
}

func TestDrainSurvivesReloadAndEnableRestores(t *testing.T) {
	f := newFixture(t)
	charlie := f.addr("charlie")
	var b backendJSON
	f.callJSON("PATCH", backendPath("app", charlie), `{"state":"drain"}`, 200, &b)
	if b.State != "drain" {
		t.Fatalf("got state %q, want drain", b.State)
	}
	if got := f.traffic(10); got["charlie"] != 0 {
		t.Errorf("drained charlie got %d requests, want 0 (%v)", got["charlie"], got)
	}
	f.callJSON("PATCH", backendPath("app", f.addr("alpha")), `{"weight":2}`, 200, nil) // a reload
	var app poolJSON
	f.callJSON("GET", "/api/v1/pools/app", "", 200, &app)
	if app.Backends[2].State != "drain" {
		t.Errorf("after a reload: got charlie %q, want drain", app.Backends[2].State)
	}
	f.callJSON("PATCH", backendPath("app", charlie), `{"state":"active"}`, 200, &b)
	if got := f.traffic(8); got["charlie"] == 0 {
		t.Errorf("enabled charlie got no requests: %v", got)
	}
}

func TestAddAndRemoveBackend(t *testing.T) {
	f := newFixture(t)
	delta := f.startBackend("delta")
	var b backendJSON
	f.callJSON("POST", "/api/v1/pools/app/backends", jsonBody(map[string]any{"address": delta, "weight": 1}), http.StatusCreated, &b)
	if b.Address != delta {
		t.Fatalf("got %+v, want the new backend %s", b, delta)
	}
	if got := f.traffic(8); got["delta"] != 2 {
		t.Errorf("traffic with delta added: got %v, want 2 each", got)
	}
	f.callJSON("DELETE", backendPath("app", delta), "", http.StatusNoContent, nil)
	if got := f.traffic(6); got["delta"] != 0 {
		t.Errorf("traffic after removing delta: got %v, want none to delta", got)
	}
	if v := f.version(); v != 3 {
		t.Errorf("got version %d after add and remove, want 3", v)
	}
}

func TestBadNewBackend(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"no address", `{"weight":1}`, 400, `"address" is required`},
		{"negative weight", `{"address":"127.0.0.1:7","weight":-1}`, 400, "weight must be 0 or more, got -1"},
		{"duplicate", jsonBody(map[string]any{"address": f.addr("alpha")}), 409, "already has backend"},
		{"not host:port", `{"address":"nowhere"}`, 400, "configuration is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e errorJSON
			f.callJSON("POST", "/api/v1/pools/app/backends", tc.body, tc.status, &e)
			if !strings.Contains(e.Error, tc.want) {
				t.Errorf("got error %q, want it to mention %q", e.Error, tc.want)
			}
		})
	}
	if v := f.version(); v != 1 {
		t.Errorf("got version %d after refused additions, want 1", v)
	}
}

func TestRemovingLastBackendIsRefused(t *testing.T) {
	f := newFixture(t)
	var e errorJSON
	f.callJSON("DELETE", backendPath("spare", f.addr("spare")), "", http.StatusBadRequest, &e)
	if len(e.Problems) == 0 {
		t.Errorf("got %+v, want the validation problems listed", e)
	}
	if v := f.version(); v != 1 {
		t.Errorf("got version %d, want 1", v)
	}
}

func TestGetConfigRoundTrips(t *testing.T) {
	f := newFixture(t)
	status, data := f.call("GET", "/api/v1/config", "")
	if status != 200 {
		t.Fatalf("got status %d, want 200", status)
	}
	cfg, err := config.Parse("GET config", data)
	if err != nil {
		t.Fatalf("GET config does not parse: %v", err)
	}
	if len(cfg.Pools) != 2 || len(cfg.Pools[0].Backends) != 3 {
		t.Errorf("got %d pools, want 2 with 3 backends in app", len(cfg.Pools))
	}
}

func TestDryRunDiffsWithoutApplying(t *testing.T) {
	f := newFixture(t)
	edited := strings.Replace(f.runningYAML(), "algorithm: round_robin", "algorithm: least_connections", 1)
	var res changeJSON
	f.callJSON("POST", "/api/v1/config?dry_run=true", edited, 200, &res)
	if !res.Changed || !strings.Contains(res.Diff, "-    algorithm: round_robin\n") || !strings.Contains(res.Diff, "+    algorithm: least_connections\n") {
		t.Errorf("dry-run diff: got changed=%v\n%s\nwant the algorithm line replaced", res.Changed, res.Diff)
	}
	if !regexp.MustCompile(`(?m)^@@ -\d+,\d+ \+\d+,\d+ @@$`).MatchString(res.Diff) {
		t.Errorf("dry-run diff has no hunk header:\n%s", res.Diff)
	}
	if v, alg := f.version(), f.srv.Runtime().Snapshot().Config.Pools[0].Algorithm; v != 1 || alg != "round_robin" {
		t.Errorf("after dry run: got version %d algorithm %s, want 1 and round_robin", v, alg)
	}
}

func TestConfigWithErrorsIs400WithProblems(t *testing.T) {
	f := newFixture(t)
	broken := strings.Replace(f.runningYAML(), "algorithm: round_robin", "algorithm: round_robbin", 1)
	broken = strings.Replace(broken, "protocol: http", "protocol: http\n    listne: x", 1)
	for _, query := range []string{"", "?dry_run=true"} {
		var e errorJSON
		f.callJSON("POST", "/api/v1/config"+query, broken, http.StatusBadRequest, &e)
		if len(e.Problems) != 2 {
			t.Fatalf("POST config%s: got problems %+v, want 2", query, e.Problems)
		}
		for _, p := range e.Problems {
			if p.File != "POST /api/v1/config" || p.Line == 0 || p.Col == 0 || p.Message == "" {
				t.Errorf("problem %+v: want file, line, col and message", p)
			}
		}
	}
	if v := f.version(); v != 1 {
		t.Errorf("got version %d after a refused config, want 1", v)
	}
}

func TestPostConfigAppliesOnceAndHistoryRollsBack(t *testing.T) {
	f := newFixture(t)
	original := f.runningYAML()
	edited := strings.Replace(original, "algorithm: round_robin", "algorithm: random", 1)
	var res changeJSON
	f.callJSON("POST", "/api/v1/config", edited, 200, &res)
	if !res.Changed || res.Version != 2 {
		t.Fatalf("apply: got %+v, want changed at version 2", res)
	}
	f.callJSON("POST", "/api/v1/config", edited, 200, &res)
	if res.Changed || f.version() != 2 {
		t.Errorf("same config again: got changed=%v version %d, want unchanged at 2", res.Changed, f.version())
	}
	var history []struct {
		Version int64
		Source  string
		Current bool
	}
	f.callJSON("GET", "/api/v1/config/history", "", 200, &history)
	if len(history) != 2 || history[0].Source != "startup" || history[1].Source != "api" || !history[1].Current {
		t.Fatalf("history: got %+v, want startup then api (current)", history)
	}
	f.callJSON("POST", "/api/v1/config/rollback", "", 200, &res)
	if got := f.runningYAML(); got != original || res.Version != 3 {
		t.Errorf("rollback: got version %d with\n%s\nwant version 3 with the original", res.Version, got)
	}
	f.callJSON("POST", "/api/v1/config/rollback", `{"version":2}`, 200, &res)
	if alg := f.srv.Runtime().Snapshot().Config.Pools[0].Algorithm; alg != "random" || res.Version != 4 {
		t.Errorf("rollback to 2: got %s at version %d, want random at 4", alg, res.Version)
	}
}

func TestTokenIsRequiredWhenSet(t *testing.T) {
	f := newFixture(t)
	rt := f.srv.Runtime()
	api := httptest.NewServer(admin.New(admin.Options{Applier: f.srv, Snapshots: rt.Snapshot, Token: "s3cret"}))
	defer api.Close()
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/api/v1/pools", "", 401},
		{"/api/v1/pools", "Bearer wrong", 401},
		{"/api/v1/pools", "Bearer s3cret", 200},
		{"/api/v1/openapi.json", "", 200},
		{"/", "", 200},
	} {
		req, _ := http.NewRequest("GET", api.URL+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s with %q: got %d, want %d", tc.path, tc.auth, resp.StatusCode, tc.want)
		}
	}
}

// TestOpenAPIDescribesEveryEndpoint checks the document against the endpoints the tests
// above exercise.
func TestOpenAPIDescribesEveryEndpoint(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	f.callJSON("GET", "/api/v1/openapi.json", "", 200, &doc)
	for _, ep := range []struct{ method, path string }{
		{"get", "/listeners"}, {"get", "/routes"}, {"get", "/pools"}, {"get", "/pools/{pool}"},
		{"patch", "/pools/{pool}/backends/{address}"}, {"delete", "/pools/{pool}/backends/{address}"},
		{"post", "/pools/{pool}/backends"}, {"get", "/config"}, {"post", "/config"},
		{"get", "/config/history"}, {"post", "/config/rollback"}, {"get", "/status"},
	} {
		if _, ok := doc.Paths[ep.path][ep.method]; !ok {
			t.Errorf("openapi.json: no %s %s", ep.method, ep.path)
		}
	}
	if doc.OpenAPI == "" {
		t.Error("openapi.json: no openapi version")
	}
}

func TestStatusAndMetrics(t *testing.T) {
	f := newFixture(t)
	f.traffic(3)
	var st struct {
		Version int64      `json:"version"`
		Pools   []poolJSON `json:"pools"`
		Reloads []struct{ Outcome string }
	}
	f.callJSON("GET", "/api/v1/status", "", 200, &st)
	if st.Version != 1 || len(st.Pools) != 2 || len(st.Reloads) != 1 || st.Reloads[0].Outcome != "applied" {
		t.Errorf("status: got %+v, want version 1, 2 pools, the startup reload", st)
	}
	status, data := f.call("GET", "/metrics", "")
	if status != 200 || !strings.Contains(string(data), `fulcrum_backend_requests_total{backend="`+f.addr("alpha")+`",pool="app"} 1`) {
		t.Errorf("metrics: got status %d, want alpha's request counted", status)
	}
	if status, _ := f.call("GET", "/", ""); status != 200 {
		t.Errorf("dashboard: got %d, want 200", status)
	}
}

func TestConfigFileIsNotTouchedByRefusals(t *testing.T) {
	f := newFixture(t)
	before, _ := os.ReadFile(f.configPath)
	f.call("PATCH", backendPath("app", f.addr("alpha"))+"?persist=true", `{"weight":-1}`)
	after, _ := os.ReadFile(f.configPath)
	if string(before) != string(after) {
		t.Errorf("config file changed by a refused persist:\n%s", after)
	}
}
