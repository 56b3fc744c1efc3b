// Package server runs fulcrum: it applies configurations to the runtime, opens, keeps or
// drains listeners to match each one, and shuts everything down gracefully.
//
// A listener whose socket settings did not change keeps its socket and its connections
// across any number of applies: routes and pools are read from the current snapshot on
// every request or connection.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/l7"
	"github.com/fulcrum-lb/fulcrum/metrics"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Service serves one listener's socket until Shutdown, which stops accepting and waits for
// work in progress until ctx ends.
type Service interface {
	Shutdown(ctx context.Context) error
}

// acceptStopper is a Service that can stop accepting at once (both HTTP engines, both tcp and
// tls engines; not udp). A reload that hands its socket to a successor stops it before
// returning, so a client that connects after the reload is served under the new
// configuration; the drain goes on in the background.
type acceptStopper interface {
	StopAccepting()
}

// Server owns the runtime and the listeners. Its methods are safe for concurrent use.
type Server struct {
	rt         *runtime.Runtime
	transports *l7.Transports
	logger     *slog.Logger
	metrics    *metrics.Metrics                 // fed by the data paths, served by the admin listener
	sockets    Sockets                          // nil: fresh sockets from package net; set by SetSockets
	access     atomic.Pointer[accesslog.Logger] // nil: no access log

	mu        sync.Mutex // guards listeners and closed
	listeners map[string]*active
	closed    bool
	draining  sync.WaitGroup // listeners replaced or removed, still draining
}

type active struct {
	key  listenerKey
	bind string // network and address, e.g. "tcp 127.0.0.1:8080"
	sock any    // the socket the service serves: net.Listener or net.PacketConn
	// spare is a second descriptor of the same socket, kept so that a successor on the same
	// address can take the socket over while the service drains (nil: no handover).
	spare *os.File
	svc   Service
	done  chan struct{} // closed when the service's Serve returns
}

// listenerKey is what forces a new socket or service when it changes; routes do not.
type listenerKey struct {
	Protocol, Listen string
	MaxConnections   int
	Timeouts         config.ListenerTimeouts
	Extra            string // protocol-specific settings, formatted
}

// New returns a server with no listeners; Apply opens them.
func New(logger *slog.Logger) *Server {
	s := &Server{rt: runtime.New(logger), transports: l7.NewTransports(), logger: logger, listeners: map[string]*active{}}
	s.metrics = metrics.New(s.rt.Snapshot)
	return s
}

// Runtime returns the runtime the server serves from.
func (s *Server) Runtime() *runtime.Runtime { return s.rt }

// Apply publishes cfg and reconciles listeners. If a listener cannot be opened the error
// says which; listeners already reconciled stay as they are.
func (s *Server) Apply(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("server is shut down")
	}
	if _, err := s.rt.Apply(cfg); err != nil {
		return err
	}
	return s.reconcile(cfg)
}

// Addr returns the bound address of a listener, useful when it was configured with port 0.
func (s *Server) Addr(name string) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.listeners[name]
	if !ok {
		return nil
	}
	switch sock := a.sock.(type) {
	case net.Listener:
		return sock.Addr()
	case net.PacketConn:
		return sock.LocalAddr()
	}
	return nil
}

func (s *Server) reconcile(cfg *config.Config) error {
	want := map[string]config.Listener{}
	for _, lc := range cfg.Listeners {
		want[lc.Name] = lc
	}
	handover := map[string]*os.File{} // spare descriptors of retiring listeners, by bind key
	for name, a := range s.listeners {
		if lc, ok := want[name]; !ok || keyOf(cfg, lc) != a.key {
			delete(s.listeners, name)
			s.retire(retiree{name, a, drainTimeout(lc)}, takenOver(cfg, s.listeners, a))
			if a.spare != nil {
				handover[a.bind] = a.spare
				handover[boundKey(a)] = a.spare // port 0 resolved, as a successor would name it
			}
		}
	}
	var errs []error
	for _, lc := range cfg.Listeners {
		if _, ok := s.listeners[lc.Name]; ok {
			continue
		}
		if err := s.open(cfg, lc, handover); err != nil {
			errs = append(errs, fmt.Errorf("listener %q: %w", lc.Name, err))
		}
	}
	closeSpares(handover)
	return errors.Join(errs...)
}

func keyOf(cfg *config.Config, lc config.Listener) listenerKey {
	return keyWith(lc, protocolKey(cfg, lc))
}

// keyWith is lc's listenerKey given its protocol-specific settings, formatted.
func keyWith(lc config.Listener, extra string) listenerKey {
	return listenerKey{Protocol: lc.Protocol, Listen: lc.Listen, MaxConnections: lc.MaxConnections, Timeouts: lc.Timeouts,
		Extra: extra}
}

func drainTimeout(lc config.Listener) time.Duration {
	if lc.DrainTimeout.Duration > 0 {
		return lc.DrainTimeout.Duration
	}
	return 30 * time.Second
}

type retiree struct {
	name    string
	a       *active
	timeout time.Duration
}

// retire stops a listener in the background, letting its work finish within timeout. When
// a successor will take its socket over, the service's own descriptor is detached first, so
// closing it leaves the socket listening (its spare carries it to the successor).
func (s *Server) retire(r retiree, successor bool) {
	if successor {
		detach(r.a.sock)
		if st, ok := r.a.svc.(acceptStopper); ok {
			st.StopAccepting() // from now on every new connection is the successor's
		}
	}
	s.draining.Add(1)
	go func() {
		defer s.draining.Done()
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		defer cancel()
		if err := r.a.svc.Shutdown(ctx); err != nil {
			s.logger.Warn("listener drain cut short", "listener", r.name, "err", err)
		}
	}()
}

// takenOver reports whether a listener of cfg that is not running (so will be opened) binds
// the retiring a's address, and so takes its socket over.
func takenOver(cfg *config.Config, running map[string]*active, a *active) bool {
	if a.spare == nil {
		return false
	}
	for _, lc := range cfg.Listeners {
		p, ok := protocols[lc.Protocol]
		if _, up := running[lc.Name]; up || !ok {
			continue
		}
		if b := bindKey(p, lc); b == a.bind || b == boundKey(a) {
			return true
		}
	}
	return false
}

// closeSpares closes the spare descriptors no successor took: their addresses are no longer
// served.
func closeSpares(handover map[string]*os.File) {
	for _, f := range handover {
		f.Close() // a descriptor listed under two keys is closed twice; the second fails harmlessly
	}
}

// shutdownActive closes a listener's spare descriptor, then stops its service, which closes
// the socket first thing: from then on new connections are refused.
func shutdownActive(ctx context.Context, a *active) error {
	if a.spare != nil {
		a.spare.Close()
	}
	return a.svc.Shutdown(ctx)
}

// Shutdown stops every listener: no new connections, work in progress finishes until ctx
// ends; then health checks stop. It returns ctx's error if the drain was cut short.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	all := s.listeners
	s.listeners = map[string]*active{}
	s.mu.Unlock()
	var wg sync.WaitGroup
	errs := make(chan error, len(all))
	for _, a := range all {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- shutdownActive(ctx, a) }()
	}
	wg.Wait()
	s.draining.Wait()
	s.rt.Close()
	s.transports.CloseIdle()
	close(errs)
	return firstError(errs)
}

func firstError(errs <-chan error) error {
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
