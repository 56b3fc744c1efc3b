// Package upgrade owns fulcrum's zero-downtime binary upgrade, built on
// github.com/cloudflare/tableflip: the running process hands its listening sockets to a new
// copy of its executable, which loads the configuration, starts serving on the same
// sockets and says it is ready; only then does the old process stop accepting, drain and
// exit. A new process that fails to start or to load its configuration exits, and the old
// one keeps serving.
//
// Upgrader is a server.Sockets: a server that gets its listeners from it finds those the
// previous process passed on, and opens the others fresh. Request is the client side used
// by `fulcrum upgrade`: it signals the process named in the pid file and waits for the
// outcome.
package upgrade

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"
)

// Timeout bounds how long a new process may take to become ready before the upgrade is
// abandoned (the new process is killed; the old one serves on).
const Timeout = 30 * time.Second

// Upgrader passes listening sockets between generations of the process. Only one may exist
// per process. Its methods are safe for concurrent use.
type Upgrader struct {
	flip    *tableflip.Upgrader
	pidFile string
}

// New returns the process's Upgrader, inheriting sockets when it was started by an upgrade.
// pidFile (may be empty) receives the process id once Ready is called, and the outcome of a
// failed upgrade in pidFile+".upgrade". New listeners are bound with lc (server.ListenConfig).
func New(pidFile string, lc net.ListenConfig) (*Upgrader, error) {
	flip, err := tableflip.New(tableflip.Options{PIDFile: pidFile, UpgradeTimeout: Timeout,
		ListenConfig: &lc})
	if err != nil {
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	return &Upgrader{flip: flip, pidFile: pidFile}, nil
}

// Listen returns the stream listener for (network, addr) that the previous process passed
// on, or a new one. Closing it while this process still owns the socket stops the socket
// listening, even though a copy is kept for a future upgrade, so a removed listener refuses
// connections instead of queueing them.
func (u *Upgrader) Listen(network, addr string) (net.Listener, error) {
	ln, err := u.flip.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	return &listener{Listener: ln, handedOver: u.flip.Exit()}, nil
}

// ListenPacket returns the datagram socket for (network, addr) that the previous process
// passed on, or a new one.
func (u *Upgrader) ListenPacket(network, addr string) (net.PacketConn, error) {
	return u.flip.ListenPacket(network, addr)
}

// Inherited reports whether this process was started by an upgrade.
func (u *Upgrader) Inherited() bool { return u.flip.HasParent() }

// Ready says this process serves: it writes the pid file and lets the previous process (if
// any) stop accepting and drain. Call it once every listener is open.
func (u *Upgrader) Ready() error { return u.flip.Ready() }

// Upgrade starts a new copy of the executable with the sockets and waits until it is ready
// (nil: this process should now drain and exit, see Exit) or has failed (this process
// keeps serving). The outcome of a failure is written beside the pid file for Request.
func (u *Upgrader) Upgrade() error {
	err := u.flip.Upgrade()
	if err != nil && u.pidFile != "" {
		_ = os.WriteFile(u.pidFile+".upgrade", []byte(fmt.Sprintf("%d failed: %v\n", os.Getpid(), err)), 0o644)
	}
	return err
}

// Exit is closed when this process should stop accepting, drain and exit: a new process
// has taken over, or Stop was called.
func (u *Upgrader) Exit() <-chan struct{} { return u.flip.Exit() }

// Stop refuses further upgrades and closes the sockets kept for them; call it when
// shutting down for good.
func (u *Upgrader) Stop() { u.flip.Stop() }

// listener stops its socket listening on Close unless the socket has been handed over.
type listener struct {
	net.Listener
	handedOver <-chan struct{} // closed once another process owns the socket
	detached   atomic.Bool     // another descriptor in this process carries on with the socket
}

// Unwrap returns the listener on the socket, for code that reads the socket itself (netloop).
func (l *listener) Unwrap() net.Listener { return l.Listener }

// Detach makes Close close only this descriptor: a successor listener in this process has
// taken the socket over (see server's listener handover).
func (l *listener) Detach() { l.detached.Store(true) }

// Close closes the listener. While this process owns the socket, it first shuts the socket
// down for reading, which makes Linux stop listening on it in every copy of the descriptor
// (tableflip keeps one for the next upgrade).
func (l *listener) Close() error {
	select {
	case <-l.handedOver:
	default:
		if !l.detached.Load() {
			stopListening(l.Listener)
		}
	}
	return l.Listener.Close()
}

// File returns a duplicate descriptor of the socket, so the server can hand one socket
// from a retired listener to its successor on the same address.
func (l *listener) File() (*os.File, error) {
	fs, ok := l.Listener.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, errors.New("listener cannot be duplicated")
	}
	return fs.File()
}

func stopListening(ln net.Listener) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) { _ = syscall.Shutdown(int(fd), syscall.SHUT_RD) })
}

var errNoPIDFile = errors.New("no pid file: run fulcrum with -pid-file and pass the same file here")
