//go:build unix

package h1

import (
	"net"
	"syscall"
)

// unusable reports whether an idle connection was closed by the backend or has unsolicited
// bytes waiting: one non-blocking MSG_PEEK recv, no waiting.
func unusable(c net.Conn) bool {
	if a, ok := c.(interface{ Alive() bool }); ok {
		return !a.Alive()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	alive := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = n < 0 && (rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK)
		return true
	})
	return err != nil || !alive
}
