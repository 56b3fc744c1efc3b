package runtime_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

func apply(t *testing.T, rt *runtime.Runtime, yaml string) *runtime.Snapshot {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := rt.Apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

const twoBackends = `
listeners:
  - {name: web, listen: 127.0.0.1:0, routes: [{pool: app}]}
pools:
  - name: app
    algorithm: first
    when_all_down: %s
    backends:
      - {address: 127.0.0.1:9001, max_connections: 1}
      - {address: 127.0.0.1:9002}
`

func TestAcquireSkipsMembersAtTheirCap(t *testing.T) {
	rt := runtime.New(slog.Default())
	defer rt.Close()
	p := apply(t, rt, fmtPool("fail")).Pools["app"]
	var r1, r2 balance.Request
	first, second := p.Acquire(&r1), p.Acquire(&r2)
	if first != 0 || second != 1 {
		t.Errorf("got members %d then %d, want 0 then 1 (the first is at max_connections 1)", first, second)
	}
	if got := p.Members[0].InFlight() + p.Members[1].InFlight(); got != 2 {
		t.Errorf("got %d in flight, want 2", got)
	}
}

func TestStateSurvivesReloadAndPanicModeIgnoresHealth(t *testing.T) {
	rt := runtime.New(slog.Default())
	defer rt.Close()
	p := apply(t, rt, fmtPool("fail")).Pools["app"]
	for i := range p.Members {
		p.Members[i].SetHealthy(false)
	}
	if i := p.Pick(&balance.Request{}); i != -1 {
		t.Errorf("all down, when_all_down fail: got member %d, want -1", i)
	}
	p2 := apply(t, rt, fmtPool("route_all")).Pools["app"]
	if p2.Members[0].Healthy() {
		t.Errorf("health did not survive the reload: member 0 is up again")
	}
	if i := p2.Pick(&balance.Request{}); i < 0 {
		t.Errorf("all down, when_all_down route_all: got -1, want a member (panic mode)")
	}
	if rt.Snapshot().Version != 2 {
		t.Errorf("got version %d, want 2 after two applies", rt.Snapshot().Version)
	}
}

func fmtPool(whenAllDown string) string {
	return fmt.Sprintf(twoBackends, whenAllDown)
}

func TestRouteSNI(t *testing.T) {
	rt := runtime.New(slog.Default())
	defer rt.Close()
	l := apply(t, rt, `
listeners:
  - name: tls
    protocol: tls
    listen: 127.0.0.1:0
    routes:
      - {name: api, match: {sni: [api.example.com]}, pool: a}
      - {name: wild, match: {sni: ["*.example.com"]}, pool: b}
      - {name: rest, pool: a}
pools:
  - {name: a, backends: [{address: 127.0.0.1:9001}]}
  - {name: b, backends: [{address: 127.0.0.1:9002}]}
`).Listeners["tls"]
	for _, tc := range []struct{ sni, want string }{
		{"api.example.com", "api"},
		{"API.example.com", "api"},
		{"www.example.com", "wild"},
		{"example.com", "rest"},
		{"", "rest"},
	} {
		if got := l.RouteSNI(tc.sni); got == nil || got.Name != tc.want {
			t.Errorf("RouteSNI(%q): got %v, want route %s", tc.sni, got, tc.want)
		}
	}
}
