package h1

import (
	"syscall"

	"github.com/fulcrum-lb/fulcrum/rawsock"
)

// rawIOSupported: socket calls go straight to the kernel (package rawsock, RawSyscall). They
// are made only on non-blocking sockets, so they never block the thread.
const rawIOSupported = true

func rawRead(fd uintptr, p []byte) (int, syscall.Errno) { return errnoResult(rawsock.Read(int(fd), p)) }

func rawWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	return errnoResult(rawsock.Send(int(fd), p))
}

// rawWritev writes a and then b with one writev; both must be non-empty.
func rawWritev(fd uintptr, a, b []byte) (int, syscall.Errno) {
	return errnoResult(rawsock.Writev(int(fd), a, b))
}

func errnoResult(n int, err error) (int, syscall.Errno) {
	errno, _ := err.(syscall.Errno)
	return n, errno
}
