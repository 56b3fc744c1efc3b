//go:build l4prof

package l4

import (
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

// A bench-only build (go build -tags l4prof) writes a CPU profile of the whole process to
// $FULCRUM_L4_CPUPROFILE for $FULCRUM_L4_CPUPROFILE_SECONDS (default 10) after start-up.
// Regular builds do not contain this file.
func init() {
	path := os.Getenv("FULCRUM_L4_CPUPROFILE")
	if path == "" {
		return
	}
	secs, err := strconv.Atoi(os.Getenv("FULCRUM_L4_CPUPROFILE_SECONDS"))
	if err != nil || secs <= 0 {
		secs = 10
	}
	f, err := os.Create(path)
	if err != nil || pprof.StartCPUProfile(f) != nil {
		return
	}
	time.AfterFunc(time.Duration(secs)*time.Second, func() { pprof.StopCPUProfile(); f.Close() })
}
