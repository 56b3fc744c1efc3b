package server

import (
	"fmt"
	"net"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/l7"
)

// protocol opens and serves one kind of listener. Stream protocols set serve; datagram
// protocols set servePacket.
type protocol struct {
	serve       func(s *Server, name string, ln net.Listener) (Service, func() error)
	servePacket func(s *Server, name string, pc net.PacketConn) (Service, func() error)
	key         func(lc config.Listener) string // protocol-specific settings that need a new socket
}

// protocols maps a listener's `protocol` to its data path.
var protocols = map[string]protocol{
	"http":  {serve: serveHTTP, key: httpKey},
	"https": {serve: serveHTTPS},
	"tcp":   {serve: serveTCP},
	"tls":   {serve: serveTLS},
	"udp":   {servePacket: serveUDP},
}

func serveHTTP(s *Server, name string, ln net.Listener) (Service, func() error) {
	if useFulcrum(s, name) {
		return serveFulcrum(s, name, ln)
	}
	srv, ln := newHTTP(s, name, ln)
	return srv, func() error { return srv.Serve(ln) }
}

// serveHTTPS is serveHTTP behind TLS: certificates by SNI, ALPN h2 and http/1.1. Certificates
// are re-read on every apply without a new socket.
func serveHTTPS(s *Server, name string, ln net.Listener) (Service, func() error) {
	srv, ln := newHTTP(s, name, ln)
	return srv, func() error { return srv.ServeTLS(ln) }
}

func newHTTP(s *Server, name string, ln net.Listener) (*l7.Server, net.Listener) {
	srv := l7.New(name, s.rt.Snapshot, s.transports, s.logger)
	srv.Observer = s.metrics
	if n := s.rt.Snapshot().Listeners[name].Config.MaxConnections; n > 0 {
		ln = limitListener(ln, n)
	}
	return srv, ln
}

func protocolKey(lc config.Listener) string {
	if p, ok := protocols[lc.Protocol]; ok && p.key != nil {
		return p.key(lc)
	}
	return ""
}

// open binds a listener's socket and starts its service.
func (s *Server) open(lc config.Listener) error {
	p, ok := protocols[lc.Protocol]
	if !ok {
		return fmt.Errorf("protocol %q is not supported", lc.Protocol)
	}
	a := &active{key: keyOf(lc), done: make(chan struct{})}
	var run func() error
	if p.servePacket != nil {
		pc, err := s.socketSource().ListenPacket("udp", lc.Listen)
		if err != nil {
			return err
		}
		a.sock = pc
		a.svc, run = p.servePacket(s, lc.Name, pc)
	} else {
		ln, err := s.socketSource().Listen("tcp", lc.Listen)
		if err != nil {
			return err
		}
		a.sock = ln
		a.svc, run = p.serve(s, lc.Name, ln)
	}
	s.listeners[lc.Name] = a
	go s.run(lc.Name, a, run)
	return nil
}

func (s *Server) run(name string, a *active, serve func() error) {
	defer close(a.done)
	s.logger.Info("listening", "listener", name, "addr", addrOf(a.sock))
	if err := serve(); err != nil {
		s.logger.Error("listener stopped", "listener", name, "err", err)
	}
}

func addrOf(sock any) string {
	switch v := sock.(type) {
	case net.Listener:
		return v.Addr().String()
	case net.PacketConn:
		return v.LocalAddr().String()
	}
	return ""
}
