//go:build unix && !linux

package h1

import "syscall"

// rawIOSupported: elsewhere SocketIO uses the connection's own Read and Write.
const rawIOSupported = false

func rawRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return max(n, 0), toErrno(err)
}

func rawWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return max(n, 0), toErrno(err)
}

func toErrno(err error) syscall.Errno {
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return 0
}

// rawWritev is not used where rawIOSupported is false.
func rawWritev(fd uintptr, a, b []byte) (int, syscall.Errno) { return rawWrite(fd, a) }
