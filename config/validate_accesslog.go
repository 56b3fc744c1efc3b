package config

import (
	"os"
	"path/filepath"
)

// validateAccessLog checks access_log: a path that can be written (its directory exists) or
// stdout/stderr, and a sample fraction in (0, 1].
func validateAccessLog(c *checker, a *AccessLog) {
	if a == nil {
		return
	}
	validateAccessLogPath(c, a.Path)
	if c.has("access_log.sample") && (a.Sample <= 0 || a.Sample > 1) {
		c.errorf("access_log.sample", "access_log.sample must be more than 0 and at most 1 (a fraction of requests), got %v", a.Sample)
	}
}

func validateAccessLogPath(c *checker, path string) {
	switch path {
	case "":
		c.errorf("access_log", "access_log.path is required: a file, stdout or stderr")
		return
	case "stdout", "stderr":
		return
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		c.errorf("access_log.path", "access_log.path %q: directory %s does not exist", path, dir)
	}
}
