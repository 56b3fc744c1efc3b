package admin

import (
	"net/http"
	"slices"

	"github.com/fulcrum-lb/fulcrum/backend"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/metrics"
)

// backendPatch is the body of PATCH pools/{pool}/backends/{address}; absent fields stay.
type backendPatch struct {
	Weight *int    `json:"weight"`
	State  *string `json:"state"` // active | drain | disabled
}

// newBackend is the body of POST pools/{pool}/backends.
type newBackend struct {
	Address        string `json:"address"`
	Weight         *int   `json:"weight"`
	MaxConnections int    `json:"max_connections"`
}

func (a *Admin) patchBackend(w http.ResponseWriter, r *http.Request) {
	pool, addr := r.PathValue("pool"), r.PathValue("address")
	var body backendPatch
	state, err := a.checkPatch(w, r, pool, addr, &body)
	if err != nil {
		fail(w, err)
		return
	}
	if body.Weight != nil {
		if err := a.setWeight(r, pool, addr, *body.Weight); err != nil {
			fail(w, err)
			return
		}
	}
	if body.State != nil {
		a.setAdminState(pool, addr, state)
	}
	a.getBackend(w, pool, addr)
}

// checkPatch decodes and checks a patch before anything changes, returning the admin
// state it asks for.
func (a *Admin) checkPatch(w http.ResponseWriter, r *http.Request, pool, addr string, body *backendPatch) (int32, error) {
	if _, err := a.findBackend(pool, addr); err != nil {
		return 0, err
	}
	if err := decodeJSON(w, r, body); err != nil {
		return 0, err
	}
	if body.Weight == nil && body.State == nil {
		return 0, errorf(http.StatusBadRequest, `nothing to change: give "weight" and/or "state"`)
	}
	if body.Weight != nil && *body.Weight < 0 {
		return 0, errorf(http.StatusBadRequest, "weight must be 0 or more, got %d", *body.Weight)
	}
	if body.State == nil {
		return 0, nil
	}
	return parseAdminState(*body.State)
}

func parseAdminState(s string) (int32, error) {
	for v, name := range metrics.AdminStateNames {
		if name == s {
			return v, nil
		}
	}
	return 0, errorf(http.StatusBadRequest, "state %q is not one of active, drain, disabled", s)
}

func (a *Admin) setWeight(r *http.Request, pool, addr string, weight int) error {
	persist, err := queryBool(r, "persist")
	if err != nil {
		return err
	}
	_, err = a.run(change{source: "api: weight of " + addr + " in " + pool, persist: persist,
		edit: func(cfg *config.Config) error {
			b, err := configBackend(cfg, pool, addr)
			if err == nil {
				b.Weight = &weight
			}
			return err
		}})
	return err
}

// setAdminState sets the operator state on the live backend. It is runtime state: kept by
// (pool, address) across reloads while the backend stays in the pool, never persisted.
func (a *Admin) setAdminState(pool, addr string, state int32) {
	if m, err := a.findBackend(pool, addr); err == nil {
		m.SetAdminState(state)
		a.opts.Logger.Info("backend admin state set", "pool", pool, "backend", addr, "state", metrics.AdminStateNames[state])
	}
}

func (a *Admin) postBackend(w http.ResponseWriter, r *http.Request) {
	pool := r.PathValue("pool")
	var body newBackend
	if err := a.checkNewBackend(w, r, pool, &body); err != nil {
		fail(w, err)
		return
	}
	persist, err := queryBool(r, "persist")
	if err == nil {
		_, err = a.run(change{source: "api: add " + body.Address + " to " + pool, persist: persist,
			edit: func(cfg *config.Config) error { return addBackend(cfg, pool, body) }})
	}
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/pools/"+pool)
	a.writeBackend(w, http.StatusCreated, pool, body.Address)
}

func (a *Admin) checkNewBackend(w http.ResponseWriter, r *http.Request, pool string, body *newBackend) error {
	if _, ok := a.opts.Snapshots().Pools[pool]; !ok {
		return errorf(http.StatusNotFound, "no pool named %q", pool)
	}
	if err := decodeJSON(w, r, body); err != nil {
		return err
	}
	if body.Address == "" {
		return errorf(http.StatusBadRequest, `"address" is required, as host:port`)
	}
	if body.Weight != nil && *body.Weight < 0 {
		return errorf(http.StatusBadRequest, "weight must be 0 or more, got %d", *body.Weight)
	}
	if _, err := a.findBackend(pool, body.Address); err == nil {
		return errorf(http.StatusConflict, "pool %q already has backend %s", pool, body.Address)
	}
	return nil
}

func addBackend(cfg *config.Config, pool string, nb newBackend) error {
	p, err := configPool(cfg, pool)
	if err != nil {
		return err
	}
	p.Backends = append(p.Backends, config.Backend{Address: nb.Address, Weight: nb.Weight, MaxConnections: nb.MaxConnections})
	return nil
}

func (a *Admin) deleteBackend(w http.ResponseWriter, r *http.Request) {
	pool, addr := r.PathValue("pool"), r.PathValue("address")
	persist, err := queryBool(r, "persist")
	if err == nil {
		_, err = a.findBackend(pool, addr)
	}
	if err == nil {
		_, err = a.run(change{source: "api: remove " + addr + " from " + pool, persist: persist,
			edit: func(cfg *config.Config) error { return removeBackend(cfg, pool, addr) }})
	}
	if err != nil {
		fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func removeBackend(cfg *config.Config, pool, addr string) error {
	p, err := configPool(cfg, pool)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(p.Backends, func(b config.Backend) bool { return b.Address == addr })
	if i < 0 {
		return errorf(http.StatusNotFound, "pool %q has no backend %s", pool, addr)
	}
	p.Backends = slices.Delete(p.Backends, i, i+1)
	return nil
}

// findBackend returns the live member (pool, addr) of the snapshot in force.
func (a *Admin) findBackend(pool, addr string) (*backend.Member, error) {
	p, ok := a.opts.Snapshots().Pools[pool]
	if !ok {
		return nil, errorf(http.StatusNotFound, "no pool named %q", pool)
	}
	for i := range p.Members {
		if p.Members[i].Address == addr {
			return &p.Members[i], nil
		}
	}
	return nil, errorf(http.StatusNotFound, "pool %q has no backend %s", pool, addr)
}

func configPool(cfg *config.Config, name string) (*config.Pool, error) {
	for i := range cfg.Pools {
		if cfg.Pools[i].Name == name {
			return &cfg.Pools[i], nil
		}
	}
	return nil, errorf(http.StatusNotFound, "no pool named %q", name)
}

func configBackend(cfg *config.Config, pool, addr string) (*config.Backend, error) {
	p, err := configPool(cfg, pool)
	if err != nil {
		return nil, err
	}
	for i := range p.Backends {
		if p.Backends[i].Address == addr {
			return &p.Backends[i], nil
		}
	}
	return nil, errorf(http.StatusNotFound, "pool %q has no backend %s", pool, addr)
}
