package reload

import (
	"bytes"
	"log/slog"

	"github.com/fulcrum-lb/fulcrum/config"
)

// Operations records and applies reloads (server.Operations does): Apply puts a
// configuration in force through the admin history; Refused records one that never got there.
type Operations interface {
	Apply(cfg *config.Config, source string) error
	Refused(source, outcome string, err error)
}

// Reloader turns a trigger (SIGHUP, a file change) into at most one reload.
// Its fields are set once before use; Reload may be called from several goroutines.
type Reloader struct {
	Load    func() (*config.Config, error) // reads the file; problems carry FILE:LINE:COL
	Running func() *config.Config          // the configuration in force
	Ops     Operations
	Logger  *slog.Logger
}

// Outcome says what a Reload did.
type Outcome int

const (
	Applied   Outcome = iota // a new configuration is in force
	Unchanged                // the file says what is already in force; nothing was done
	Refused                  // the file is invalid or could not be applied; the old one serves
)

// Reload loads the configuration and applies it as coming from source ("sighup", "file"),
// unless it equals the one in force. A bad configuration is refused with its problems in
// the log and in the admin history; the running configuration stays.
func (r *Reloader) Reload(source string) (Outcome, error) {
	cfg, err := r.Load()
	if err != nil {
		r.Ops.Refused(source, "invalid", err)
		r.Logger.Error("reload refused; the running configuration stays", "source", source, "err", err)
		return Refused, err
	}
	if same(cfg, r.Running()) {
		r.Logger.Info("reload: configuration unchanged", "source", source)
		return Unchanged, nil
	}
	if err := r.Ops.Apply(cfg, source); err != nil {
		r.Logger.Error("reload failed; the running configuration stays", "source", source, "err", err)
		return Refused, err
	}
	r.Logger.Info("reloaded", "source", source)
	return Applied, nil
}

// same reports whether two configurations write the same YAML (positions, comments and
// key order in the file do not matter).
func same(a, b *config.Config) bool {
	if a == nil || b == nil {
		return false
	}
	x, errA := a.Marshal()
	y, errB := b.Marshal()
	return errA == nil && errB == nil && bytes.Equal(x, y)
}
