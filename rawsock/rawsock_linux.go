package rawsock

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

func raw(trap, a1, a2, a3 uintptr) (uintptr, error) {
	r, _, errno := unix.RawSyscall(trap, a1, a2, a3)
	if errno != 0 {
		return r, errno
	}
	return r, nil
}

func raw6(trap, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, error) {
	r, _, errno := unix.RawSyscall6(trap, a1, a2, a3, a4, a5, a6)
	if errno != 0 {
		return r, errno
	}
	return r, nil
}

func bufPtr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// Read reads once from a socket; 0 and no error at the end of the stream. It is recvfrom,
// not read(2), which goes through the VFS layer first: on an empty loopback socket read(2)
// took 572–661 ns and recvfrom 486–540 ns (bench/H1-FIGURES.md, fourth round).
func Read(fd int, b []byte) (int, error) {
	n, err := raw6(unix.SYS_RECVFROM, uintptr(fd), bufPtr(b), uintptr(len(b)), 0, 0, 0)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Send writes b to a socket without raising SIGPIPE when the peer has gone.
func Send(fd int, b []byte) (int, error) { return sendto(fd, b, unix.MSG_NOSIGNAL) }

// SendMore is Send telling the kernel that more bytes follow soon (MSG_MORE): TCP may hold the
// last partial segment until a send without the flag, as TCP_CORK does (at most 200 ms).
func SendMore(fd int, b []byte) (int, error) {
	return sendto(fd, b, unix.MSG_NOSIGNAL|unix.MSG_MORE)
}

func sendto(fd int, b []byte, flags uintptr) (int, error) {
	n, err := raw6(unix.SYS_SENDTO, uintptr(fd), bufPtr(b), uintptr(len(b)), flags, 0, 0)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Splice moves up to n bytes between descriptors (one a pipe) without waiting.
func Splice(from, to, n int) (int64, error) {
	m, err := raw6(unix.SYS_SPLICE, uintptr(from), 0, uintptr(to), 0, uintptr(n), unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
	if err != nil {
		return 0, err
	}
	return int64(m), nil
}

// Close closes a descriptor.
func Close(fd int) { raw(unix.SYS_CLOSE, uintptr(fd), 0, 0) }

// ShutdownWrite shuts down the sending side.
func ShutdownWrite(fd int) error {
	_, err := raw(unix.SYS_SHUTDOWN, uintptr(fd), unix.SHUT_WR, 0)
	return err
}

// EpollAdd registers fd for events, with fd as the event's data.
func EpollAdd(ep, fd int, events uint32) error {
	return EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: events, Fd: int32(fd)})
}

// EpollPoll takes the ready events without waiting.
func EpollPoll(ep int, events []unix.EpollEvent) (int, error) {
	n, err := raw6(unix.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Accept takes one client off the listening socket, non-blocking and close-on-exec. It
// calls accept4(2) directly: unix.Accept4 adds a getsockopt(SO_PROTOCOL) per connection
// and allocates the address.
func Accept(lfd int) (int, netip.AddrPort, error) {
	var rsa unix.RawSockaddrAny
	size := uint32(unix.SizeofSockaddrAny)
	fd, err := raw6(unix.SYS_ACCEPT4, uintptr(lfd), uintptr(unsafe.Pointer(&rsa)),
		uintptr(unsafe.Pointer(&size)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	return int(fd), rawAddrPort(&rsa), nil
}

// DialSocket opens a non-blocking TCP socket with TCP_NODELAY and starts connecting it to
// ap; a nil error means connected or in progress.
func DialSocket(ap netip.AddrPort) (int, error) {
	var sa unix.RawSockaddrAny
	size := rawSockaddr(ap, &sa)
	fd, err := raw(unix.SYS_SOCKET, uintptr(sa.Addr.Family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	one := int32(1)
	raw6(unix.SYS_SETSOCKOPT, fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, uintptr(unsafe.Pointer(&one)), 4, 0)
	if _, err := raw(unix.SYS_CONNECT, fd, uintptr(unsafe.Pointer(&sa)), size); err != nil && err != unix.EINPROGRESS {
		Close(int(fd))
		return -1, err
	}
	return int(fd), nil
}

// rawSockaddr writes ap into sa and returns its length.
func rawSockaddr(ap netip.AddrPort, sa *unix.RawSockaddrAny) uintptr {
	port := ap.Port()
	if a := ap.Addr().Unmap(); a.Is4() {
		s := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		s.Family, s.Addr = unix.AF_INET, a.As4()
		setNetworkPort(&s.Port, port)
		return unix.SizeofSockaddrInet4
	}
	s := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
	s.Family, s.Addr = unix.AF_INET6, ap.Addr().As16()
	setNetworkPort(&s.Port, port)
	return unix.SizeofSockaddrInet6
}

// rawAddrPort decodes an IPv4 or IPv6 socket address; anything else is the zero AddrPort.
func rawAddrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), networkPort(a.Port))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), networkPort(a.Port))
	}
	return netip.AddrPort{}
}

// networkPort reads a port stored in network byte order.
func networkPort(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func setNetworkPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// Writev writes a and then b with one call; both must be non-empty.
func Writev(fd int, a, b []byte) (int, error) {
	var iov [2]unix.Iovec
	iov[0].Base, iov[1].Base = unsafe.SliceData(a), unsafe.SliceData(b)
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	n, err := raw(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), 2)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// PeekAlive reports whether a socket is open with nothing unread: one MSG_PEEK recv.
func PeekAlive(fd int) bool {
	var b [1]byte
	_, err := raw6(unix.SYS_RECVFROM, uintptr(fd), bufPtr(b[:]), 1, unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	return err == unix.EAGAIN
}

// EpollCtl changes fd's registration in ep.
func EpollCtl(ep, op, fd int, ev *unix.EpollEvent) error {
	_, err := raw6(unix.SYS_EPOLL_CTL, uintptr(ep), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return err
}
