package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/admin"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/metrics"
)

// Operations is the admin listener: the API, the dashboard and /metrics. It is bound once
// at start; a reload that changes the admin block takes effect at the next start.
type Operations struct {
	Admin   *admin.Admin
	Metrics *metrics.Metrics
	http    *http.Server
	ln      net.Listener
}

// StartOperations opens the admin listener of the configuration in force (admin.listen)
// and serves it. It returns nil and no error when admin.listen is empty. configPath is the
// file that ?persist=true writes; empty refuses persisting.
func (s *Server) StartOperations(configPath string) (*Operations, error) {
	ac := s.rt.Snapshot().Config.Admin
	if ac.Listen == "" {
		return nil, nil
	}
	token, err := readToken(ac)
	if err != nil {
		return nil, err
	}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", ac.Listen)
	if err != nil {
		return nil, fmt.Errorf("admin listener: %w", err)
	}
	return s.serveOperations(ln, token, configPath), nil
}

func (s *Server) serveOperations(ln net.Listener, token, configPath string) *Operations {
	m := metrics.New(s.rt.Snapshot)
	a := admin.New(admin.Options{Applier: s, Snapshots: s.rt.Snapshot, Metrics: m, Token: token,
		ConfigPath: configPath, Logger: s.logger})
	a.Observe("startup")
	o := &Operations{Admin: a, Metrics: m, ln: ln, http: &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}}
	s.logger.Info("admin listening", "addr", ln.Addr().String())
	go func() {
		if err := o.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("admin listener stopped", "err", err)
		}
	}()
	return o
}

// readToken reads admin.token_file; a listener reachable from other hosts needs one.
func readToken(ac config.Admin) (string, error) {
	if ac.TokenFile == "" {
		if !loopback(ac.Listen) {
			return "", fmt.Errorf("admin.listen %q is not loopback and admin.token_file is not set", ac.Listen)
		}
		return "", nil
	}
	data, err := os.ReadFile(ac.TokenFile)
	if err != nil {
		return "", fmt.Errorf("admin.token_file: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("admin.token_file %s is empty", ac.TokenFile)
	}
	return token, nil
}

func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Addr is the admin listener's bound address.
func (o *Operations) Addr() net.Addr { return o.ln.Addr() }

// Shutdown stops the admin listener, letting requests in progress finish until ctx ends.
// A nil *Operations is a no-op, so callers need not check whether admin was configured.
func (o *Operations) Shutdown(ctx context.Context) error {
	if o == nil {
		return nil
	}
	return o.http.Shutdown(ctx)
}
