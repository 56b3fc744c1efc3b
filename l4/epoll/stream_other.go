//go:build !linux

package epoll

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/fulcrum-lb/fulcrum/accesslog"
)

// Supported reports whether this system has the epoll engine.
const Supported = false

// Stream is a placeholder off Linux: Serve fails, so callers use package l4 instead.
type Stream struct {
	stats     counters
	Observer  Observer
	AccessLog *accesslog.Logger
}

// New returns a Stream whose Serve fails.
func New(name string, snaps Snapshots, logger *slog.Logger) *Stream { return &Stream{} }

// Serve fails: epoll is Linux only.
func (s *Stream) Serve(ln net.Listener) error { return errors.New("engine epoll: Linux only") }

// Shutdown does nothing.
func (s *Stream) Shutdown(ctx context.Context) error { return nil }

// Stats returns zero counters.
func (s *Stream) Stats() Stats { return s.stats.snapshot() }
