package admin

import (
	"net/http"
	"strconv"

	"github.com/fulcrum-lb/fulcrum/config"
)

// configSource names a configuration posted to the API in FILE:LINE:COL problems.
const configSource = "POST /api/v1/config"

// getConfig answers with the running configuration as YAML, defaults filled in.
func (a *Admin) getConfig(w http.ResponseWriter, r *http.Request) {
	snap := a.opts.Snapshots()
	data, err := snap.Config.Marshal()
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("X-Fulcrum-Config-Version", strconv.FormatInt(snap.Version, 10))
	w.Write(data)
}

// postConfig validates a whole YAML configuration and, unless dry_run=true, applies it.
func (a *Admin) postConfig(w http.ResponseWriter, r *http.Request) {
	dry, err := queryBool(r, "dry_run")
	var persist bool
	if err == nil {
		persist, err = queryBool(r, "persist")
	}
	var body []byte
	if err == nil {
		body, err = readBody(w, r)
	}
	if err != nil {
		fail(w, err)
		return
	}
	res, err := a.postedConfig(body, dry, persist)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *Admin) postedConfig(body []byte, dry, persist bool) (changeResult, error) {
	next, err := config.Parse(configSource, body)
	if err != nil {
		ae := invalid(err)
		ae.diff = a.diffAgainstRunning(body)
		if !dry {
			a.Refused("api", "invalid", err)
		}
		return changeResult{}, ae
	}
	if dry {
		return a.dryRun(next)
	}
	return a.run(change{source: "api", persist: persist, edit: func(cfg *config.Config) error {
		*cfg = *next
		return nil
	}})
}

// dryRun reports what applying next would change, without applying it.
func (a *Admin) dryRun(next *config.Config) (changeResult, error) {
	data, err := next.Marshal()
	if err != nil {
		return changeResult{}, err
	}
	res := changeResult{Version: a.opts.Snapshots().Version, Warnings: problemsOf(next.Warnings)}
	res.Diff = a.diffAgainstRunning(data)
	res.Changed = res.Diff != ""
	return res, nil
}

// diffAgainstRunning is the line diff from the running configuration's YAML to data.
func (a *Admin) diffAgainstRunning(data []byte) string {
	old, err := a.opts.Snapshots().Config.Marshal()
	if err != nil {
		return ""
	}
	return lineDiff(string(old), string(data))
}

func (a *Admin) getHistory(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Version
		Current bool `json:"current"`
	}
	current := a.opts.Snapshots().Version
	var out []entry
	for _, v := range a.history.list() {
		out = append(out, entry{v, v.Version == current})
	}
	writeJSON(w, http.StatusOK, orEmpty(out))
}

// postRollback applies a recorded version again, as a new version: the one named by
// {"version": N}, or by default the one before the version in force.
func (a *Admin) postRollback(w http.ResponseWriter, r *http.Request) {
	target, err := a.rollbackTarget(w, r)
	if err != nil {
		fail(w, err)
		return
	}
	source := "api: rollback to " + strconv.FormatInt(target.Version, 10)
	res, err := a.run(change{source: source, edit: func(cfg *config.Config) error {
		restored, err := copyConfig(target.Config)
		if err == nil {
			*cfg = *restored
		}
		return err
	}})
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *Admin) rollbackTarget(w http.ResponseWriter, r *http.Request) (Version, error) {
	var body struct {
		Version *int64 `json:"version"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body); err != nil {
			return Version{}, err
		}
	}
	if body.Version == nil {
		v, ok := a.history.previous()
		if !ok {
			return Version{}, errorf(http.StatusConflict, "no earlier version to roll back to")
		}
		return v, nil
	}
	v, ok := a.history.find(*body.Version)
	if !ok {
		return Version{}, errorf(http.StatusNotFound, "no configuration version %d in history", *body.Version)
	}
	return v, nil
}
