package server

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/l7"
)

// protocol opens and serves one kind of listener. Stream protocols set serve; datagram
// protocols set servePacket.
type protocol struct {
	serve       func(s *Server, name string, ln net.Listener) (Service, func() error)
	servePacket func(s *Server, name string, pc net.PacketConn) (Service, func() error)
	key         func(cfg *config.Config, lc config.Listener) string // settings that need a new service
}

// protocols maps a listener's `protocol` to its data path.
var protocols = map[string]protocol{
	"http":  {serve: serveHTTP, key: httpKey},
	"https": {serve: serveHTTPS},
	"tcp":   {serve: serveTCP, key: streamKey},
	"tls":   {serve: serveTLS, key: streamKey},
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
	srv.AccessLog = s.AccessLog()
	if n := s.rt.Snapshot().Listeners[name].Config.MaxConnections; n > 0 {
		ln = limitListener(ln, n)
	}
	return srv, ln
}

func protocolKey(cfg *config.Config, lc config.Listener) string {
	if p, ok := protocols[lc.Protocol]; ok && p.key != nil {
		return p.key(cfg, lc)
	}
	return ""
}

// open starts a listener's service on a socket: the one a retiring listener on the same
// address hands over (so no connection is refused while settings change), or a new one.
func (s *Server) open(cfg *config.Config, lc config.Listener, handover map[string]*os.File) error {
	p, ok := protocols[lc.Protocol]
	if !ok {
		return fmt.Errorf("protocol %q is not supported", lc.Protocol)
	}
	a := &active{key: keyOf(cfg, lc), bind: bindKey(p, lc), done: make(chan struct{})}
	sock, err := s.socketFor(a.bind, handover)
	if err != nil {
		return err
	}
	a.sock, a.spare = sock, spareOf(sock)
	var run func() error
	if p.servePacket != nil {
		a.svc, run = p.servePacket(s, lc.Name, sock.(net.PacketConn))
	} else {
		a.svc, run = p.serve(s, lc.Name, sock.(net.Listener))
	}
	s.listeners[lc.Name] = a
	go s.run(lc.Name, a, run)
	return nil
}

func bindKey(p protocol, lc config.Listener) string {
	if p.servePacket != nil {
		return "udp " + lc.Listen
	}
	return "tcp " + lc.Listen
}

// boundKey is a's bind key with the address actually bound (port 0 resolved).
func boundKey(a *active) string {
	network, _, _ := strings.Cut(a.bind, " ")
	return network + " " + addrOf(a.sock)
}

// socketFor takes over the socket offered for bind, or binds a new one. A socket taken over
// comes from a descriptor (net.FileListener), so its accepted connections get Go's default
// TCP keep-alive; a socket bound here has none (see netSockets).
func (s *Server) socketFor(bind string, handover map[string]*os.File) (any, error) {
	if f, ok := handover[bind]; ok {
		for k, v := range handover { // the same descriptor is listed under two keys
			if v == f {
				delete(handover, k)
			}
		}
		defer f.Close() // the new listener has a descriptor of its own
		return fromFile(bind, f)
	}
	network, addr, _ := strings.Cut(bind, " ")
	if network == "udp" {
		return s.socketSource().ListenPacket(network, addr)
	}
	return s.socketSource().Listen(network, addr)
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
