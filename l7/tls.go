package l7

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/fulcrum-lb/fulcrum/tlsconf"
)

// certCache holds an https listener's TLS configuration for the snapshot version it was
// built from. The first handshake after a reload re-reads the certificate files, so
// replaced certificates take effect without a restart and without a new socket.
type certCache struct {
	name   string
	snaps  Snapshots
	logger *slog.Logger
	cur    atomic.Pointer[certEntry]
	mu     sync.Mutex // serialises rebuilds
}

type certEntry struct {
	version int64
	cfg     *tls.Config
}

// configFor is the listener's tls.Config.GetConfigForClient: one atomic load per handshake
// unless the snapshot changed.
func (c *certCache) configFor(*tls.ClientHelloInfo) (*tls.Config, error) {
	snap := c.snaps()
	if e := c.cur.Load(); e != nil && e.version == snap.Version {
		return e.cfg, nil
	}
	return c.rebuild()
}

// rebuild loads the current snapshot's certificates. When that fails, the previous ones
// stay in use and the error is logged.
func (c *certCache) rebuild() (*tls.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.snaps()
	old := c.cur.Load()
	if old != nil && old.version == snap.Version {
		return old.cfg, nil
	}
	l := snap.Listeners[c.name]
	if l == nil || l.Config.TLS == nil {
		return oldConfig(old, errors.New("listener has no tls settings"))
	}
	cfg, err := tlsconf.ServerConfig(l.Config.TLS)
	if err != nil {
		c.logger.Error("reloading certificates failed; keeping the previous ones", "listener", c.name, "err", err)
		return oldConfig(old, err)
	}
	c.cur.Store(&certEntry{version: snap.Version, cfg: cfg})
	return cfg, nil
}

func oldConfig(old *certEntry, err error) (*tls.Config, error) {
	if old == nil {
		return nil, err
	}
	return old.cfg, nil
}

// ServeTLS accepts TLS connections on ln until Shutdown, offering HTTP/2 and HTTP/1.1 by
// ALPN with the listener's certificates. It fails at once if the certificates do not load.
func (s *Server) ServeTLS(ln net.Listener) error {
	s.certs = &certCache{name: s.name, snaps: s.snaps, logger: s.logger}
	if _, err := s.certs.rebuild(); err != nil {
		return err
	}
	s.http.TLSConfig = &tls.Config{GetConfigForClient: s.certs.configFor, NextProtos: tlsconf.ALPN}
	s.http.Protocols = new(http.Protocols)
	s.http.Protocols.SetHTTP1(true)
	s.http.Protocols.SetHTTP2(true)
	s.drain.serving(ln)
	return s.drain.served(s.http.ServeTLS(ln, "", ""))
}
