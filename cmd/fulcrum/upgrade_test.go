package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// upgradeFixture is a running `fulcrum run -pid-file` in front of one backend.
type upgradeFixture struct {
	addr, cfg, pidFile string
	cmd                *exec.Cmd
	exited             chan error // receives the first process's exit
	log                *os.File   // stderr of every generation (a file: children inherit it)
}

func startUpgradable(t *testing.T) *upgradeFixture {
	t.Helper()
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go backend.Serve(bln)
	t.Cleanup(func() { backend.Close() })
	dir := t.TempDir()
	f := &upgradeFixture{addr: freePort(t), pidFile: filepath.Join(dir, "fulcrum.pid"), exited: make(chan error, 1)}
	f.cfg = writeFile(t, fmt.Sprintf("listeners:\n  - name: web\n    listen: %s\n    drain_timeout: 5s\n    routes: [{pool: app}]\npools:\n  - name: app\n    backends: [{address: %s}]\n", f.addr, bln.Addr()))
	if f.log, err = os.Create(filepath.Join(dir, "stderr.log")); err != nil {
		t.Fatal(err)
	}
	f.cmd = exec.Command(binary, "run", "-c", f.cfg, "-pid-file", f.pidFile)
	f.cmd.Stderr = f.log
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { f.exited <- f.cmd.Wait() }()
	t.Cleanup(f.stopAll)
	waitFor(t, "the pid file", func() bool { return f.pid() == f.cmd.Process.Pid })
	return f
}

// pid is the process id in the pid file, or 0.
func (f *upgradeFixture) pid() int {
	data, _ := os.ReadFile(f.pidFile)
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return n
}

// stopAll terminates whichever generation is serving, and the first one.
func (f *upgradeFixture) stopAll() {
	if pid := f.pid(); pid > 0 {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	f.cmd.Process.Kill()
}

func (f *upgradeFixture) stderr() string {
	data, _ := os.ReadFile(f.log.Name())
	return string(data)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// load sends GETs over keep-alive connections from workers until ctx ends.
type load struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
	wg         sync.WaitGroup
}

func startLoad(ctx context.Context, url string, workers int) *load {
	l := &load{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 5 * time.Second}
	for range workers {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				l.one(client, url)
			}
		})
	}
	return l
}

func (l *load) one(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	if err != nil {
		l.failed.Add(1)
		l.firstErr.CompareAndSwap(nil, err.Error())
		return
	}
	l.ok.Add(1)
}

// The Done-when: a binary upgrade under load fails no request; the old process
// exits and the new one serves.
func TestUpgradeUnderLoadFailsNoRequest(t *testing.T) {
	f := startUpgradable(t)
	old := f.pid()
	ctx, cancel := context.WithCancel(context.Background())
	l := startLoad(ctx, "http://"+f.addr+"/", 4)
	time.Sleep(500 * time.Millisecond)

	out, err := exec.Command(binary, "upgrade", "-pid-file", f.pidFile, "-timeout", "20s").CombinedOutput()
	if err != nil {
		t.Fatalf("fulcrum upgrade: %v\n%s\n--- fulcrum's log:\n%s", err, out, f.stderr())
	}
	time.Sleep(500 * time.Millisecond) // traffic on the new process only
	cancel()
	l.wg.Wait()

	if n := l.failed.Load(); n != 0 {
		t.Errorf("got %d failed requests (first: %v), want 0", n, l.firstErr.Load())
	}
	if l.ok.Load() == 0 {
		t.Errorf("got no successful requests, want some")
	}
	select {
	case err := <-f.exited:
		if err != nil {
			t.Errorf("old process exited with %v, want 0", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("old process %d still running after the upgrade", old)
	}
	if pid := f.pid(); pid == old || syscall.Kill(pid, 0) != nil {
		t.Errorf("pid file holds %d (old %d), want a new live process", pid, old)
	}
	if !strings.Contains(string(out), fmt.Sprintf("pid %d drained", old)) {
		t.Errorf("upgrade said %q, want it to name the old pid %d", out, old)
	}
	t.Logf("%d requests during the upgrade, 0 failed", l.ok.Load())
}

// A new process that cannot load the configuration exits; the old one keeps serving and
// `fulcrum upgrade` says so.
func TestUpgradeWithABadConfigKeepsTheOldProcess(t *testing.T) {
	f := startUpgradable(t)
	old := f.pid()
	if err := os.WriteFile(f.cfg, []byte("listeners: []\npools: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "upgrade", "-pid-file", f.pidFile, "-timeout", "20s").CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "upgrade failed") {
		t.Errorf("fulcrum upgrade: got exit %d and %q, want 1 and \"upgrade failed\"", exitCode(err), out)
	}
	if got := f.pid(); got != old {
		t.Errorf("pid file holds %d, want the old %d", got, old)
	}
	resp, err := http.Get("http://" + f.addr + "/")
	if err != nil {
		t.Fatalf("old process stopped serving: %v\n%s", err, f.stderr())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("got status %d from the old process, want 200", resp.StatusCode)
	}
}

func TestUpgradeBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.pid")
	junk := filepath.Join(t.TempDir(), "junk.pid")
	os.WriteFile(junk, []byte("not-a-pid"), 0o644)
	for _, tc := range []struct{ name, pidFile, want string }{
		{name: "no pid file flag", pidFile: "", want: "no pid file"},
		{name: "missing pid file", pidFile: missing, want: "no such file"},
		{name: "junk in pid file", pidFile: junk, want: "not a process id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(binary, "upgrade", "-pid-file", tc.pidFile).CombinedOutput()
			if exitCode(err) != 1 || !strings.Contains(string(out), tc.want) {
				t.Errorf("got exit %d and %q, want 1 and %q", exitCode(err), out, tc.want)
			}
		})
	}
}
