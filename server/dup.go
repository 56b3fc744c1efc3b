package server

import (
	"net"
	"os"
)

// duplicate returns a second descriptor of sock for a service to serve and own, so that the
// service's Shutdown closes only its copy while sock stays open for the next service on the
// same address. When sock cannot be duplicated, the service serves sock itself (shared false).
func duplicate(sock any) (served any, shared bool) {
	f, ok := fileOf(sock)
	if !ok {
		return sock, false
	}
	defer f.Close()
	var dup any
	var err error
	if _, packet := sock.(net.PacketConn); packet {
		dup, err = net.FilePacketConn(f)
	} else {
		dup, err = net.FileListener(f)
	}
	if err != nil {
		return sock, false
	}
	return dup, true
}

func fileOf(sock any) (*os.File, bool) {
	fs, ok := sock.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, false
	}
	f, err := fs.File()
	return f, err == nil
}

func closeSocket(sock any) {
	if c, ok := sock.(interface{ Close() error }); ok {
		c.Close()
	}
}
