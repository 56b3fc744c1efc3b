package admin

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/fulcrum-lb/fulcrum/config"
)

// Apply puts cfg in force and records the outcome (history, reload metrics) as coming from
// source. Callers outside the API, such as a SIGHUP reload, use it so the history and the
// metrics see every change. It returns the version in force afterwards.
func (a *Admin) Apply(cfg *config.Config, source string) (int64, error) {
	err := a.opts.Applier.Apply(cfg)
	snap := a.opts.Snapshots()
	a.history.observe(snap, source)
	if err != nil {
		a.Refused(source, "failed", err)
		return snap.Version, err
	}
	a.countReload("applied")
	return snap.Version, nil
}

// Refused records a reload that did not happen: outcome is "invalid" when the new
// configuration failed validation, "failed" when it could not be put in force.
func (a *Admin) Refused(source, outcome string, err error) {
	a.history.refused(source, outcome, err)
	a.countReload(outcome)
}

func (a *Admin) countReload(outcome string) {
	if a.opts.Metrics != nil {
		a.opts.Metrics.Reload(outcome)
	}
}

// change is one edit of the running configuration, made the way a reload is: copy,
// edit, validate as a file, apply, and persist when asked.
type change struct {
	source  string
	persist bool
	edit    func(cfg *config.Config) error // edits a private deep copy
}

// changeResult is what an applied change answers.
type changeResult struct {
	Version  int64     `json:"version"`
	Changed  bool      `json:"changed"`
	Diff     string    `json:"diff"`
	Warnings []problem `json:"warnings,omitempty"`
	Persist  string    `json:"persisted_to,omitempty"`
}

// run makes c under changeMu so concurrent edits do not lose each other.
func (a *Admin) run(c change) (changeResult, error) {
	a.changeMu.Lock()
	defer a.changeMu.Unlock()
	if c.persist && a.opts.ConfigPath == "" {
		return changeResult{}, errorf(http.StatusBadRequest, "persist=true, but fulcrum is not running from a config file")
	}
	running := a.opts.Snapshots().Config
	cfg, err := copyConfig(running)
	if err != nil {
		return changeResult{}, err
	}
	if err := c.edit(cfg); err != nil {
		return changeResult{}, err
	}
	next, data, err := revalidate(cfg)
	if err != nil {
		a.Refused(c.source, "invalid", err)
		return changeResult{}, err
	}
	return a.commit(c, running, next, data)
}

// commit applies next (whose YAML is data) unless it equals running, then persists it.
func (a *Admin) commit(c change, running, next *config.Config, data []byte) (changeResult, error) {
	res := changeResult{Warnings: problemsOf(next.Warnings), Version: a.opts.Snapshots().Version}
	old, err := running.Marshal()
	if err != nil {
		return res, err
	}
	res.Diff = lineDiff(string(old), string(data))
	if res.Changed = res.Diff != ""; res.Changed {
		if res.Version, err = a.Apply(next, c.source); err != nil {
			return res, errorf(http.StatusInternalServerError, "applying the configuration failed: %v", err)
		}
	}
	if c.persist {
		res.Persist = a.opts.ConfigPath
		return res, writeFileAtomic(a.opts.ConfigPath, data)
	}
	return res, nil
}

// copyConfig returns a deep copy of cfg by writing and re-reading it.
func copyConfig(cfg *config.Config) (*config.Config, error) {
	data, err := cfg.Marshal()
	if err != nil {
		return nil, fmt.Errorf("writing the running configuration: %w", err)
	}
	return config.Parse("running configuration", data)
}

// revalidate checks an edited configuration exactly as a file would be checked and
// returns the parsed result with its YAML.
func revalidate(cfg *config.Config) (*config.Config, []byte, error) {
	data, err := cfg.Marshal()
	if err != nil {
		return nil, nil, err
	}
	next, err := config.Parse("edited configuration", data)
	if err != nil {
		return nil, nil, invalid(err)
	}
	return next, data, nil
}

// writeFileAtomic replaces path with data so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fulcrum-*.yaml")
	if err != nil {
		return fmt.Errorf("persisting the configuration: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("persisting the configuration: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("persisting the configuration: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("persisting the configuration: %w", err)
	}
	return nil
}

// Observe records the configuration in force in the history if it is not there yet, as
// applied by source (e.g. "startup").
func (a *Admin) Observe(source string) { a.history.observe(a.opts.Snapshots(), source) }
