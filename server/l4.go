package server

import (
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/l4"
	"github.com/fulcrum-lb/fulcrum/l4/epoll"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Both stream engines stop accepting when a reload hands their socket over (see retire).
var (
	_ acceptStopper = (*l4.Stream)(nil)
	_ acceptStopper = (*epoll.Stream)(nil)
)

// serveTCP forwards a tcp listener's connections with its engine (see streamEngine).
// max_connections is enforced by the service itself, without wrapping connections, so
// splice(2) stays on the path.
func serveTCP(s *Server, name string, ln net.Listener) (Service, func() error) {
	return serveStreamOn(s, name, ln, l4.TCP)
}

// serveTLS routes a tls listener's connections on the ClientHello's server name without
// terminating TLS, with its engine (see streamEngine).
func serveTLS(s *Server, name string, ln net.Listener) (Service, func() error) {
	return serveStreamOn(s, name, ln, l4.TLS)
}

// serveStreamOn serves a tcp or tls listener with the engine streamEngine chooses.
func serveStreamOn(s *Server, name string, ln net.Listener, mode l4.Mode) (Service, func() error) {
	snap := s.rt.Snapshot()
	if streamEngine(snap.Config, snap.Listeners[name].Config, s.logger) == "epoll" {
		srv := epoll.New(name, epoll.Snapshots(s.servedSnapshots(name)), s.logger)
		srv.Observer, srv.AccessLog = s.metrics, s.AccessLog()
		return srv, func() error { return srv.Serve(ln) }
	}
	return serveStream(s, name, ln, mode)
}

// servedSnapshots returns where the stream service opened now for listener name reads its
// snapshots: the runtime's current one while it gives the listener the settings the
// service was opened for (its listenerKey), else the last one that did.
//
// A configuration that changes those settings retires the service, but only after it is
// published, and the retiring service shares its socket with its successor: until the apply
// stops it (StopAccepting, before the apply returns), it may accept a few more clients. It serves them as it was set up to serve, not with settings it may
// not handle (engine epoll resolves no backend names) and rather than closing them.
func (s *Server) servedSnapshots(name string) func() *runtime.Snapshot {
	type served struct{ seen, use *runtime.Snapshot }
	first := s.rt.Snapshot()
	if first.Listeners[name] == nil {
		return s.rt.Snapshot
	}
	key := streamListenerKey(first.Config, first.Listeners[name].Config)
	var last atomic.Pointer[served]
	last.Store(&served{first, first})
	return func() *runtime.Snapshot {
		cur, prev := s.rt.Snapshot(), last.Load()
		if cur == prev.seen {
			return prev.use
		}
		next := &served{cur, prev.use}
		if l := cur.Listeners[name]; l != nil && streamListenerKey(cur.Config, l.Config) == key {
			next.use = cur
		}
		last.CompareAndSwap(prev, next) // a lost race leaves another caller's newer answer
		return next.use
	}
}

// streamListenerKey is keyOf for a tcp or tls listener (keyOf itself would make package
// initialization loop through protocols).
func streamListenerKey(cfg *config.Config, lc config.Listener) listenerKey {
	return keyWith(lc, streamKey(cfg, lc))
}

// streamEngine decides which engine serves a tcp or tls listener: epoll (one event loop per
// listener, Linux) unless the listener names netpoll or uses something epoll does not serve
// yet (backends given by name): then netpoll (a goroutine per connection). An explicit
// epoll that cannot serve is logged when logger is not nil.
func streamEngine(cfg *config.Config, lc config.Listener, logger *slog.Logger) string {
	if lc.Engine == "netpoll" {
		return "netpoll"
	}
	why := epoll.Unsupported(cfg, lc)
	if why == "" {
		return "epoll"
	}
	if lc.Engine == "epoll" && logger != nil {
		logger.Error("engine", "listener", lc.Name, "err", "engine epoll does not serve "+why+"; serving with netpoll")
	}
	return "netpoll"
}

// streamKey makes a change of engine open a new service on the listener's socket, including
// a change of what the epoll engine cannot serve (a backend given by name moves it to
// netpoll).
func streamKey(cfg *config.Config, lc config.Listener) string {
	return "engine=" + streamEngine(cfg, lc, nil)
}

func serveStream(s *Server, name string, ln net.Listener, mode l4.Mode) (Service, func() error) {
	srv := l4.NewStream(name, mode, s.servedSnapshots(name), s.logger)
	srv.Observer, srv.AccessLog = s.metrics, s.AccessLog()
	return srv, func() error { return srv.Serve(ln) }
}

// serveUDP relays a udp listener's datagrams through per-client sessions.
func serveUDP(s *Server, name string, pc net.PacketConn) (Service, func() error) {
	srv := l4.NewDatagram(name, s.rt.Snapshot, s.logger)
	srv.Observer, srv.AccessLog = s.metrics, s.AccessLog()
	return srv, func() error { return srv.Serve(pc) }
}
