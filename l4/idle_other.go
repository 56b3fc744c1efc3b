//go:build !linux

package l4

import (
	"syscall"
	"time"
)

// sinceLastReceive cannot ask the kernel on this system: the idle timeout is not enforced.
func sinceLastReceive(syscall.RawConn) (time.Duration, bool) { return 0, false }
