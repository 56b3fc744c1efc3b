package server

import (
	"net"

	"github.com/fulcrum-lb/fulcrum/l4"
)

// serveTCP forwards a tcp listener's connections (l4.TCP); max_connections is enforced by
// the l4 service itself, without wrapping connections, so splice(2) stays on the path.
func serveTCP(s *Server, name string, ln net.Listener) (Service, func() error) {
	return serveStream(s, name, ln, l4.TCP)
}

// serveTLS routes a tls listener's connections on the ClientHello's server name without
// terminating TLS.
func serveTLS(s *Server, name string, ln net.Listener) (Service, func() error) {
	return serveStream(s, name, ln, l4.TLS)
}

func serveStream(s *Server, name string, ln net.Listener, mode l4.Mode) (Service, func() error) {
	srv := l4.NewStream(name, mode, s.rt.Snapshot, s.logger)
	return srv, func() error { return srv.Serve(ln) }
}

// serveUDP relays a udp listener's datagrams through per-client sessions.
func serveUDP(s *Server, name string, pc net.PacketConn) (Service, func() error) {
	srv := l4.NewDatagram(name, s.rt.Snapshot, s.logger)
	return srv, func() error { return srv.Serve(pc) }
}
