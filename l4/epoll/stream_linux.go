package epoll

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fulcrum-lb/fulcrum/accesslog"
)

// Supported reports whether this system has the epoll engine.
const Supported = true

// Stream serves one tcp or tls listener from one event-loop goroutine (the one calling Serve).
// Serve, Shutdown and Stats may be called from different goroutines; everything about
// connections belongs to the loop, and the counters are atomics.
type Stream struct {
	name   string
	snaps  Snapshots
	logger *slog.Logger
	stats  counters

	// Observer and AccessLog, when set before Serve, hear about every finished connection,
	// as with l4.Stream. They are called from the loop goroutine.
	Observer  Observer
	AccessLog *accesslog.Logger

	closing atomic.Bool   // Shutdown has begun: stop accepting, exit once no connection is left
	abort   atomic.Bool   // the drain is over: close every connection
	exited  chan struct{} // closed when the loop has returned
	deaf    chan struct{} // closed when the loop has closed its listening socket (the drain began)

	mu      sync.Mutex // guards the fields below
	ln      net.Listener
	started bool // Serve has handed the socket to a loop
	wake    int  // the loop's eventfd; -1 when no loop runs
}

// New returns the epoll service for the tcp or tls listener called name (the protocol is
// read from the snapshot). It does no I/O.
func New(name string, snaps Snapshots, logger *slog.Logger) *Stream {
	return &Stream{name: name, snaps: snaps, logger: logger, exited: make(chan struct{}), deaf: make(chan struct{}), wake: -1}
}

// Stats returns the counters.
func (s *Stream) Stats() Stats { return s.stats.snapshot() }

// Serve forwards ln's connections until Shutdown, running the event loop in the calling
// goroutine. ln must be able to hand out its descriptor (File, as a
// *net.TCPListener does). It returns nil after Shutdown, or the error that stopped the loop.
// Call it once.
func (s *Stream) Serve(ln net.Listener) error {
	fd, err := listenerFD(ln)
	if err != nil {
		return fmt.Errorf("engine epoll: %w", err)
	}
	l, err := newLoop(s, fd)
	if err != nil {
		unix.Close(fd)
		return fmt.Errorf("engine epoll: %w", err)
	}
	if !s.start(ln, l) {
		l.release()
		ln.Close()
		return nil
	}
	releaseRuntimeCopy(ln)
	defer close(s.exited)
	return l.run()
}

// start publishes the loop's wake descriptor; false if Shutdown came first.
func (s *Stream) start(ln net.Listener, l *loop) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() || s.started {
		return false
	}
	s.ln, s.started, s.wake = ln, true, l.wake
	return true
}

// releaseRuntimeCopy closes a plain *net.TCPListener once the loop holds its own descriptor:
// the Go runtime's netpoller then stops waking up for every connection the loop accepts. A
// wrapped listener (an upgrade's, whose Close stops the socket in every copy) stays open
// until Shutdown.
func releaseRuntimeCopy(ln net.Listener) {
	if tl, ok := ln.(*net.TCPListener); ok {
		tl.Close()
	}
}

// listenerFD returns a new descriptor of ln's socket for the loop to own. It is duplicated
// inside Control, so the shared file description stays non-blocking.
func listenerFD(ln net.Listener) (int, error) {
	fs, ok := ln.(interface{ File() (*os.File, error) })
	if !ok {
		return -1, fmt.Errorf("listener %T has no file descriptor", ln)
	}
	f, err := fs.File()
	if err != nil {
		return -1, err
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(u uintptr) { fd, derr = unix.FcntlInt(u, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	return fd, unix.SetNonblock(fd, true)
}

// Shutdown stops accepting, lets open connections finish until ctx ends, then closes them
// and returns ctx's error.
func (s *Stream) Shutdown(ctx context.Context) error {
	if !s.stopAccepting() {
		return nil
	}
	select {
	case <-s.exited:
		return nil
	case <-ctx.Done():
	}
	s.abort.Store(true)
	s.poke()
	<-s.exited
	return ctx.Err()
}

// StopAccepting makes the loop close its listening socket and returns once it has (or after a
// second), so that a client connecting afterwards to a socket this service shared with a
// successor (a reload's handover) is the successor's. Connections already accepted go on;
// Shutdown drains them.
func (s *Stream) StopAccepting() {
	if !s.stopAccepting() {
		return
	}
	select {
	case <-s.deaf:
	case <-s.exited:
	case <-time.After(time.Second):
	}
}

// stopAccepting begins the drain and wakes the loop; false when no loop was started.
func (s *Stream) stopAccepting() bool {
	s.closing.Store(true)
	s.mu.Lock()
	started := s.started
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	if started {
		s.poke()
	}
	return started
}

// poke wakes the loop, if it still runs.
func (s *Stream) poke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wake >= 0 {
		one := [8]byte{1}
		unix.Write(s.wake, one[:])
	}
}

// loopEnded forgets the wake descriptor before the loop closes it.
func (s *Stream) loopEnded() {
	s.mu.Lock()
	s.wake = -1
	s.mu.Unlock()
}
