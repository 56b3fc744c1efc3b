package server

import (
	"net"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/l4"
	"github.com/fulcrum-lb/fulcrum/l4/epoll"
)

// serveTCP forwards a tcp listener's connections with its engine: l4.TCP (netpoll, the
// default) or the epoll event loop. max_connections is enforced by the service itself,
// without wrapping connections, so splice(2) stays on the path.
func serveTCP(s *Server, name string, ln net.Listener) (Service, func() error) {
	if useEpoll(s, name) {
		srv := epoll.New(name, epoll.Snapshots(s.rt.Snapshot), s.logger)
		srv.Observer, srv.AccessLog = s.metrics, s.AccessLog()
		return srv, func() error { return srv.Serve(ln) }
	}
	return serveStream(s, name, ln, l4.TCP)
}

// useEpoll reports whether tcp listener name asks for the epoll engine and it serves the
// listener; when it does not, that is logged and the listener gets netpoll.
func useEpoll(s *Server, name string) bool {
	snap := s.rt.Snapshot()
	lc := snap.Listeners[name].Config
	if lc.Engine != "epoll" {
		return false
	}
	if why := epoll.Unsupported(snap.Config, lc); why != "" {
		s.logger.Error("engine", "listener", name, "err", "engine epoll does not serve "+why+"; serving with netpoll")
		return false
	}
	return true
}

// tcpKey makes a change of engine open a new service on the listener's socket, and so does
// a change of what the epoll engine cannot serve (adding proxy_protocol to an epoll
// listener moves it to netpoll).
func tcpKey(cfg *config.Config, lc config.Listener) string {
	if lc.Engine != "epoll" {
		return "engine=" + lc.Engine
	}
	return "engine=epoll;needs=" + epoll.Unsupported(cfg, lc)
}

// serveTLS routes a tls listener's connections on the ClientHello's server name without
// terminating TLS.
func serveTLS(s *Server, name string, ln net.Listener) (Service, func() error) {
	return serveStream(s, name, ln, l4.TLS)
}

func serveStream(s *Server, name string, ln net.Listener, mode l4.Mode) (Service, func() error) {
	srv := l4.NewStream(name, mode, s.rt.Snapshot, s.logger)
	srv.Observer, srv.AccessLog = s.metrics, s.AccessLog()
	return srv, func() error { return srv.Serve(ln) }
}

// serveUDP relays a udp listener's datagrams through per-client sessions.
func serveUDP(s *Server, name string, pc net.PacketConn) (Service, func() error) {
	srv := l4.NewDatagram(name, s.rt.Snapshot, s.logger)
	srv.Observer, srv.AccessLog = s.metrics, s.AccessLog()
	return srv, func() error { return srv.Serve(pc) }
}
