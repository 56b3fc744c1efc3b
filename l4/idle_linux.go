package l4

import (
	"syscall"
	"time"
	"unsafe"
)

// sinceLastReceive asks the kernel how long ago the socket last received data
// (TCP_INFO tcpi_last_data_recv, millisecond resolution). ok is false if it cannot tell.
func sinceLastReceive(rc syscall.RawConn) (d time.Duration, ok bool) {
	var info syscall.TCPInfo
	size := uint32(unsafe.Sizeof(info))
	var errno syscall.Errno
	err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	})
	if err != nil || errno != 0 {
		return 0, false
	}
	return time.Duration(info.Last_data_recv) * time.Millisecond, true
}
