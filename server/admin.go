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
	srv     *Server
	Admin   *admin.Admin
	Metrics *metrics.Metrics
	http    *http.Server
	ln      net.Listener
}

// StartOperations opens the admin listener of the configuration in force (admin.listen)
// and serves it. With admin.listen empty nothing is opened, but the Operations still record
// reloads (history, metrics). configPath is the file that ?persist=true writes; empty
// refuses persisting.
func (s *Server) StartOperations(configPath string) (*Operations, error) {
	ac := s.rt.Snapshot().Config.Admin
	if ac.Listen == "" {
		return s.newOperations("", configPath), nil
	}
	token, err := readToken(ac)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	ln, err := s.socketSource().Listen("tcp", ac.Listen)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("admin listener: %w", err)
	}
	o := s.newOperations(token, configPath)
	o.ln, o.http = ln, &http.Server{Handler: o.Admin, ReadHeaderTimeout: 10 * time.Second}
	s.logger.Info("admin listening", "addr", ln.Addr().String())
	go func() {
		if err := o.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("admin listener stopped", "err", err)
		}
	}()
	return o, nil
}

func (s *Server) newOperations(token, configPath string) *Operations {
	a := admin.New(admin.Options{Applier: s, Snapshots: s.rt.Snapshot, Metrics: s.metrics, Token: token,
		ConfigPath: configPath, Logger: s.logger})
	a.Observe("startup")
	return &Operations{srv: s, Admin: a, Metrics: s.metrics}
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

// Metrics returns the metrics the data paths feed.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Addr is the admin listener's bound address, or nil when there is none.
func (o *Operations) Addr() net.Addr {
	if o.ln == nil {
		return nil
	}
	return o.ln.Addr()
}

// Shutdown stops the admin listener, letting requests in progress finish until ctx ends.
// Without an admin listener (or on a nil *Operations) it does nothing.
func (o *Operations) Shutdown(ctx context.Context) error {
	if o == nil || o.http == nil {
		return nil
	}
	return o.http.Shutdown(ctx)
}

// Apply puts a reloaded configuration in force through the admin history, so the history
// and the reload metrics see it, as coming from source.
func (o *Operations) Apply(cfg *config.Config, source string) error {
	_, err := o.Admin.Apply(cfg, source)
	return err
}

// Refused records a reload whose configuration never reached Apply (outcome "invalid").
func (o *Operations) Refused(source, outcome string, err error) {
	o.Admin.Refused(source, outcome, err)
}
