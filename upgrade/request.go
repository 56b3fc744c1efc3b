package upgrade

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Result is the outcome of a successful Request.
type Result struct {
	OldPID, NewPID int
}

// Request asks the fulcrum process whose pid is in pidFile to upgrade itself (SIGUSR2) and
// waits until a new process has written its pid there and the old one has exited, or the
// old one reports that the upgrade failed, or timeout passes. On failure the old process
// keeps serving.
func Request(pidFile string, timeout time.Duration) (Result, error) {
	if pidFile == "" {
		return Result{}, errNoPIDFile
	}
	old, err := readPID(pidFile)
	if err != nil {
		return Result{}, err
	}
	_ = os.Remove(pidFile + ".upgrade")
	if err := syscall.Kill(old, syscall.SIGUSR2); err != nil {
		return Result{}, fmt.Errorf("signalling fulcrum (pid %d from %s): %w", old, pidFile, err)
	}
	return wait(pidFile, old, time.Now().Add(timeout))
}

// wait polls for the new pid, the old process's exit, or a failure report.
func wait(pidFile string, old int, deadline time.Time) (Result, error) {
	res := Result{OldPID: old}
	for time.Now().Before(deadline) {
		if msg, err := os.ReadFile(pidFile + ".upgrade"); err == nil {
			return res, fmt.Errorf("upgrade failed; pid %d keeps serving: %s", old, strings.TrimSpace(string(msg)))
		}
		if pid, err := readPID(pidFile); err == nil && pid != old {
			res.NewPID = pid
		}
		if res.NewPID != 0 && !alive(old) {
			return res, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res.NewPID != 0 {
		return res, fmt.Errorf("new process %d is serving, but old process %d is still draining after the timeout", res.NewPID, old)
	}
	return res, fmt.Errorf("no new process became ready in time; pid %d keeps serving (see its log)", old)
}

func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading the pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s holds %q, not a process id", path, strings.TrimSpace(string(data)))
	}
	return pid, nil
}

// alive reports whether process pid exists (signal 0 probes without signalling).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
