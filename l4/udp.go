package l4

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// maxDatagram is the largest UDP payload relayed either way.
const maxDatagram = 64 << 10

// sweepEvery is how often the read loop forgets expired sessions.
const sweepEvery = time.Second

// Datagram serves one udp listener. One goroutine (Serve's) reads client datagrams and alone
// owns the session table, so lookups take no lock; each session has one goroutine relaying
// replies. Create it with NewDatagram.
type Datagram struct {
	name   string
	snaps  Snapshots
	logger *slog.Logger

	pc       *net.UDPConn                // set by Serve before any session exists
	sock     atomic.Pointer[net.UDPConn] // pc, for Shutdown
	sessions map[netip.AddrPort]*session // owned by the Serve goroutine

	active  atomic.Int64 // live sessions
	closing atomic.Bool
	relays  sync.WaitGroup // reply goroutines
	served  chan struct{}  // closed when Serve returns

	created, dropped, in, out atomic.Uint64

	// Observer and AccessLog, when set before Serve, hear about every ended session.
	Observer  Observer
	AccessLog *accesslog.Logger
}

// DatagramStats are a udp listener's cumulative counters.
type DatagramStats struct {
	Sessions, Active, Dropped, DatagramsIn, DatagramsOut uint64
}

// NewDatagram returns a udp service for the listener called name. It does no I/O.
func NewDatagram(name string, snaps Snapshots, logger *slog.Logger) *Datagram {
	return &Datagram{name: name, snaps: snaps, logger: logger, sessions: map[netip.AddrPort]*session{},
		served: make(chan struct{})}
}

// Stats returns the counters. Dropped counts datagrams with no session to take them (no
// route, no backend, session cap reached, shutting down).
func (d *Datagram) Stats() DatagramStats {
	return DatagramStats{Sessions: d.created.Load(), Active: uint64(max(d.active.Load(), 0)), Dropped: d.dropped.Load(),
		DatagramsIn: d.in.Load(), DatagramsOut: d.out.Load()}
}

// Serve relays datagrams arriving on pc, which must be a *net.UDPConn, until Shutdown. It
// returns nil after Shutdown, or the error that stopped it.
func (d *Datagram) Serve(pc net.PacketConn) error {
	defer close(d.served)
	u, ok := pc.(*net.UDPConn)
	if !ok {
		return errors.New("l4: udp listener needs a *net.UDPConn")
	}
	d.pc = u
	d.sock.Store(u)
	defer d.closeSessions()
	buf := make([]byte, maxDatagram)
	u.SetReadDeadline(time.Now().Add(sweepEvery))
	for {
		n, from, err := u.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) && !d.onReadError(u, err) {
				return nil
			}
			continue
		}
		d.fromClient(buf[:n], from)
	}
}

// onReadError sweeps on the periodic deadline; it reports false when Serve must stop.
func (d *Datagram) onReadError(u *net.UDPConn, err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		d.sweep()
		u.SetReadDeadline(time.Now().Add(sweepEvery))
		return true
	}
	if !d.closing.Load() {
		d.logger.Error("l4: udp read", "listener", d.name, "err", err)
	}
	return false
}

// fromClient forwards one datagram to the client's session, creating it if needed.
func (d *Datagram) fromClient(b []byte, from netip.AddrPort) {
	s := d.sessions[from]
	if s == nil || s.dead.Load() {
		if s = d.newSession(from); s == nil {
			d.dropped.Add(1)
			return
		}
	}
	s.seen.Add(1)
	s.in.Add(int64(len(b)))
	d.in.Add(1)
	s.up.Write(b)
}

// sweep forgets sessions whose relay has ended.
func (d *Datagram) sweep() {
	for k, s := range d.sessions {
		if s.dead.Load() {
			delete(d.sessions, k)
		}
	}
}

func (d *Datagram) closeSessions() {
	for k, s := range d.sessions {
		s.up.Close()
		delete(d.sessions, k)
	}
}

// Shutdown stops creating sessions, lets existing ones relay until they expire or ctx ends,
// then closes the socket and every session and returns ctx's error if it was cut short.
func (d *Datagram) Shutdown(ctx context.Context) error {
	d.closing.Store(true)
	err := waitZero(ctx, &d.active)
	if pc := d.sock.Load(); pc != nil {
		pc.Close()
		<-d.served
	}
	d.relays.Wait()
	return err
}

func waitZero(ctx context.Context, n *atomic.Int64) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

func (d *Datagram) listener() *runtime.Listener {
	if snap := d.snaps(); snap != nil {
		return snap.Listeners[d.name]
	}
	return nil
}
