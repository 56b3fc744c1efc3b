package reload_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/reload"
)

// watch runs a Watcher on path and counts its calls.
func watch(t *testing.T, path string, debounce time.Duration) *atomic.Int64 {
	t.Helper()
	w, err := reload.NewWatcher(path, debounce)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var calls atomic.Int64
	go func() { defer close(done); w.Run(ctx, func() { calls.Add(1) }, func(err error) { t.Error(err) }) }()
	t.Cleanup(func() { cancel(); <-done })
	return &calls
}

// replace writes data to path the way editors and ConfigMaps do: a new file renamed over it.
func replace(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatcher(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, path string)
		want   int64
	}{
		{name: "write in place", change: func(t *testing.T, path string) { os.WriteFile(path, []byte("b"), 0o644) }, want: 1},
		{name: "replaced by rename", change: func(t *testing.T, path string) { replace(t, path, "b") }, want: 1},
		{name: "a burst is one change", change: func(t *testing.T, path string) {
			for range 5 {
				replace(t, path, "b")
				time.Sleep(10 * time.Millisecond)
			}
		}, want: 1},
		{name: "another file in the directory", change: func(t *testing.T, path string) {
			os.WriteFile(filepath.Join(filepath.Dir(path), "other.yaml"), []byte("x"), 0o644)
		}, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fulcrum.yaml")
			os.WriteFile(path, []byte("a"), 0o644)
			calls := watch(t, path, 50*time.Millisecond)
			tc.change(t, path)
			time.Sleep(300 * time.Millisecond)
			if got := calls.Load(); got != tc.want {
				t.Errorf("got %d calls, want %d", got, tc.want)
			}
		})
	}
}

func TestWatcherFollowsTheFileAcrossReplacements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fulcrum.yaml")
	os.WriteFile(path, []byte("a"), 0o644)
	calls := watch(t, path, 20*time.Millisecond)
	for i := range 3 {
		replace(t, path, "v"+string(rune('0'+i)))
		time.Sleep(150 * time.Millisecond)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("got %d calls after 3 separate replacements, want 3", got)
	}
}

func TestWatcherBadDirectory(t *testing.T) {
	_, err := reload.NewWatcher("/nonexistent-fulcrum-dir/fulcrum.yaml", 0)
	if err == nil {
		t.Errorf("got no error watching a missing directory, want one")
	}
}
