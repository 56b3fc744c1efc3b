package netloop

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Every call below is on a non-blocking descriptor and returns at once, so it is made with
// RawSyscall: the runtime would otherwise mark the P as in a system call, and its monitor,
// finding it there twice, hand the P to another thread for a call that never blocks.

func raw(trap, a1, a2, a3 uintptr) (uintptr, unix.Errno) {
	r, _, errno := unix.RawSyscall(trap, a1, a2, a3)
	return r, errno
}

func raw6(trap, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, unix.Errno) {
	r, _, errno := unix.RawSyscall6(trap, a1, a2, a3, a4, a5, a6)
	return r, errno
}

func bufPtr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func sysRead(fd int, b []byte) (int, unix.Errno) {
	n, errno := raw(unix.SYS_READ, uintptr(fd), bufPtr(b), uintptr(len(b)))
	return int(n), errno
}

// sysWrite sends b without raising SIGPIPE when the peer has gone.
func sysWrite(fd int, b []byte) (int, unix.Errno) {
	n, errno := raw6(unix.SYS_SENDTO, uintptr(fd), bufPtr(b), uintptr(len(b)), unix.MSG_NOSIGNAL, 0, 0)
	return int(n), errno
}

// sysWritev writes a and then b with one call; both must be non-empty.
func sysWritev(fd int, a, b []byte) (int, unix.Errno) {
	var iov [2]unix.Iovec
	iov[0].Base, iov[1].Base = unsafe.SliceData(a), unsafe.SliceData(b)
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	n, errno := raw(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), 2)
	return int(n), errno
}

func sysClose(fd int) { raw(unix.SYS_CLOSE, uintptr(fd), 0, 0) }

func sysShutdownWrite(fd int) unix.Errno {
	_, errno := raw(unix.SYS_SHUTDOWN, uintptr(fd), unix.SHUT_WR, 0)
	return errno
}

// peekAlive reports whether a socket is open with nothing unread: one MSG_PEEK recv.
func peekAlive(fd int) bool {
	var b [1]byte
	_, errno := raw6(unix.SYS_RECVFROM, uintptr(fd), bufPtr(b[:]), 1, unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	return errno == unix.EAGAIN
}

func epollCtl(ep, op, fd int, ev *unix.EpollEvent) unix.Errno {
	_, errno := raw6(unix.SYS_EPOLL_CTL, uintptr(ep), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errno
}

// epollWait takes the ready events, waiting up to timeout milliseconds (0: not at all).
func epollWait(ep int, events []unix.EpollEvent, timeout int) (int, unix.Errno) {
	n, errno := raw6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), uintptr(timeout), 0, 0)
	return int(n), errno
}

// accept takes a queued connection, non-blocking and close-on-exec, and its peer address. (The
// x/sys wrapper asks each IPv4 socket for its protocol, one more system call per connection.)
func accept(lfd int) (int, netip.AddrPort, error) {
	var rsa unix.RawSockaddrAny
	for {
		n := uint32(unix.SizeofSockaddrAny)
		fd, errno := raw6(unix.SYS_ACCEPT4, uintptr(lfd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch errno {
		case 0:
			return int(fd), peerAddr(&rsa), nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		}
		return -1, netip.AddrPort{}, errno
	}
}

// peerAddr reads an IPv4 or IPv6 socket address.
func peerAddr(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), portOf(a.Port))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), portOf(a.Port))
	}
	return netip.AddrPort{}
}

// portOf converts a port in network byte order.
func portOf(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
