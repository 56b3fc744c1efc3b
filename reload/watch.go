// Package reload owns fulcrum's configuration reloads from the file: it watches the config
// file for changes (fsnotify on the file's directory, debounced) and turns a change or a
// SIGHUP into one reload through the admin history, refusing a bad file with its
// FILE:LINE:COL problems and skipping a file that changes nothing.
package reload

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long a file must be quiet before a change is acted on: editors
// write, rename and chmod in bursts, and a Kubernetes ConfigMap swaps a symlink.
const DefaultDebounce = 200 * time.Millisecond

// Watcher reports changes of one file. It watches the file's directory, not the file, so a
// file replaced by rename (editors, ConfigMaps) keeps being watched.
type Watcher struct {
	fs       *fsnotify.Watcher
	dir      string
	names    map[string]bool // base names that concern the file (itself, ..data for ConfigMaps)
	debounce time.Duration
}

// NewWatcher starts watching path's directory. debounce ≤ 0 means DefaultDebounce.
func NewWatcher(path string, debounce time.Duration) (*Watcher, error) {
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", path, err)
	}
	dir := filepath.Dir(abs)
	if err := fw.Add(dir); err != nil {
		fw.Close()
		return nil, fmt.Errorf("watching %s: %w", dir, err)
	}
	names := map[string]bool{filepath.Base(abs): true, "..data": true}
	return &Watcher{fs: fw, dir: dir, names: names, debounce: debounce}, nil
}

// Run calls changed once per burst of changes to the file, after the burst has been quiet
// for the debounce time, until ctx ends; then it closes the watcher. changed runs on Run's
// goroutine, so reloads never overlap. Watch errors go to onError (nil: ignored).
func (w *Watcher) Run(ctx context.Context, changed func(), onError func(error)) {
	defer w.fs.Close()
	var quiet *time.Timer
	var fire <-chan time.Time // nil until a change is pending
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if w.concerns(ev) {
				quiet, fire = w.rearm(quiet)
			}
		case err, ok := <-w.fs.Errors:
			if ok && onError != nil {
				onError(err)
			}
		case <-fire:
			fire = nil
			changed()
		}
	}
}

// concerns reports whether ev is about the watched file (or a ConfigMap's ..data link).
func (w *Watcher) concerns(ev fsnotify.Event) bool {
	return ev.Op != fsnotify.Chmod && w.names[filepath.Base(ev.Name)]
}

// rearm restarts the quiet period.
func (w *Watcher) rearm(t *time.Timer) (*time.Timer, <-chan time.Time) {
	if t == nil {
		t = time.NewTimer(w.debounce)
	} else {
		t.Reset(w.debounce)
	}
	return t, t.C
}
