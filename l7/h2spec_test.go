package l7_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// findH2Spec looks for h2spec in PATH, then in $(go env GOPATH)/bin.
func findH2Spec() string {
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "h2spec")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

func execCommand(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

var h2specSummary = regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`)

// h2specScore reads h2spec's closing summary line.
func h2specScore(out string) (passed, failed, skipped int) {
	m := h2specSummary.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, 0
	}
	passed, _ = strconv.Atoi(m[2])
	skipped, _ = strconv.Atoi(m[3])
	failed, _ = strconv.Atoi(m[4])
	return passed, failed, skipped
}

// failures is the part of h2spec's output that lists failed cases.
func failures(out string) string {
	if i := strings.Index(out, "Failures:"); i >= 0 {
		return out[i:]
	}
	return ""
}
