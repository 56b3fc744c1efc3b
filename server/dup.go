package server

import (
	"net"
	"os"
	"strings"
)

// spareOf returns a second descriptor of sock, the copy a successor on the same address can
// take over while sock's service drains; nil when sock cannot be duplicated.
func spareOf(sock any) *os.File {
	fs, ok := sock.(interface{ File() (*os.File, error) })
	if !ok {
		return nil
	}
	f, err := fs.File()
	if err != nil {
		return nil
	}
	return f
}

// fromFile makes a listener (or packet conn, for a "udp ..." bind key) of its own from a
// spare descriptor; f stays open and is closed by its owner.
func fromFile(bind string, f *os.File) (any, error) {
	if strings.HasPrefix(bind, "udp ") {
		return net.FilePacketConn(f)
	}
	return net.FileListener(f)
}

// detach tells a socket wrapper that another descriptor carries on with the socket, so
// closing this one must not stop it listening (package upgrade's listeners need this).
func detach(sock any) {
	if d, ok := sock.(interface{ Detach() }); ok {
		d.Detach()
	}
}
