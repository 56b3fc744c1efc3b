package server

import (
	"context"
	"net"
)

// Sockets is where a server gets its listening sockets. The default binds new ones with the
// net package; a zero-downtime upgrade passes one that hands over the sockets inherited
// from the previous process (see package upgrade).
type Sockets interface {
	Listen(network, addr string) (net.Listener, error)
	ListenPacket(network, addr string) (net.PacketConn, error)
}

// netSockets binds fresh sockets, with ListenConfig.
type netSockets struct{}

func (netSockets) Listen(network, addr string) (net.Listener, error) {
	lc := ListenConfig()
	return lc.Listen(context.Background(), network, addr)
}

// ListenConfig is how fulcrum binds its stream listeners (package upgrade binds with it too).
//   - Plain TCP, as HAProxy and NGINX listen: Go (1.24 and later) would make them Multipath
//     TCP sockets on Linux. Connections from TCP clients are plain TCP either way, but an MPTCP
//     listening socket refuses TCP options such as TCP_QUICKACK, which the HTTP engine sets.
//   - No TCP keep-alive probes on accepted connections: every listener has its own idle
//     timeout, and the four setsockopt calls per connection are a measurable share of a short
//     connection's cost.
func ListenConfig() net.ListenConfig {
	lc := net.ListenConfig{KeepAlive: -1}
	lc.SetMultipathTCP(false)
	return lc
}

func (netSockets) ListenPacket(network, addr string) (net.PacketConn, error) {
	return new(net.ListenConfig).ListenPacket(context.Background(), network, addr)
}

// SetSockets makes s obtain every socket it opens from now on (listeners and the admin
// listener) from sk. Call it before the first Apply; nil restores the default.
func (s *Server) SetSockets(sk Sockets) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sockets = sk
}

// socketSource returns the Sockets in use. Callers hold s.mu or run before any Apply.
func (s *Server) socketSource() Sockets {
	if s.sockets == nil {
		return netSockets{}
	}
	return s.sockets
}
