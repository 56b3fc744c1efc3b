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
	sock any    // the socket: net.Listener or net.PacketConn
	// shared says the service serves a duplicate of sock, so sock outlives the service and
	// can be handed to the next service on the same address without closing it.
	shared bool
	svc    Service
	done   chan struct{} // closed when the service's Serve returns
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
	handover := map[string]any{} // sockets of retired listeners, by bind key
	for name, a := range s.listeners {
		if lc, ok := want[name]; !ok || keyOf(cfg, lc) != a.key {
			s.retire(name, a, drainTimeout(lc))
			if a.shared {
				handover[a.bind] = a.sock
				handover[boundKey(a)] = a.sock // port 0 resolved, as a successor would name it
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
	for _, sock := range handover { // nobody took them: the address is gone
		closeSocket(sock) // closing twice (two keys) is harmless
	}
	return errors.Join(errs...)
}

func keyOf(cfg *config.Config, lc config.Listener) listenerKey {
	return listenerKey{Protocol: lc.Protocol, Listen: lc.Listen, MaxConnections: lc.MaxConnections, Timeouts: lc.Timeouts,
		Extra: protocolKey(cfg, lc)}
}

func drainTimeout(lc config.Listener) time.Duration {
	if lc.DrainTimeout.Duration > 0 {
		return lc.DrainTimeout.Duration
	}
	return 30 * time.Second
}

// retire stops a listener in the background, letting its work finish within timeout.
func (s *Server) retire(name string, a *active, timeout time.Duration) {
	delete(s.listeners, name)
	s.draining.Add(1)
	go func() {
		defer s.draining.Done()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := a.svc.Shutdown(ctx); err != nil {
			s.logger.Warn("listener drain cut short", "listener", name, "err", err)
		}
	}()
}

// shutdownActive closes a listener's socket, then stops its service, which closes the
// service's own copy first thing: from then on new connections are refused.
func shutdownActive(ctx context.Context, a *active) error {
	if a.shared {
		closeSocket(a.sock)
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
