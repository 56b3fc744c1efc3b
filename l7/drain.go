package l7

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// drainer makes Shutdown lose no request that reached fulcrum. net/http's Server.Shutdown
// drops a request whose head is read after shutdown began (the client sees EOF), which
// bites every connection accepted just before. So Shutdown first stops accepting, waits for
// the accept loops to end, turns keep-alive off (each connection then closes after its
// current request; idle ones are closed at once), waits until no connection is new or
// active, and only then calls net/http's Shutdown for whatever is left (HTTP/2 GOAWAY).
type drainer struct {
	serves sync.WaitGroup // Serve calls in progress

	mu      sync.Mutex // guards the fields below
	conns   map[net.Conn]http.ConnState
	ln      []net.Listener
	closing bool
}

// connState is the http.Server's ConnState hook.
func (d *drainer) connState(c net.Conn, st http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(d.conns, c)
	default:
		if d.conns == nil {
			d.conns = map[net.Conn]http.ConnState{}
		}
		d.conns[c] = st
	}
}

// serving records ln so Shutdown can stop accepting on it; served must follow when Serve
// returns.
func (d *drainer) serving(ln net.Listener) {
	d.serves.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ln = append(d.ln, ln)
}

// served records the end of a Serve call and turns the error that ended it into nil when
// Shutdown caused it.
func (d *drainer) served(err error) error {
	d.serves.Done()
	d.mu.Lock()
	closing := d.closing
	d.mu.Unlock()
	if errors.Is(err, http.ErrServerClosed) || closing && errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// drain runs the steps before net/http's Shutdown; it returns early when ctx ends.
func (d *drainer) drain(ctx context.Context, srv *http.Server) {
	d.stop(ctx, srv)
	for d.busy() && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
		srv.SetKeepAlivesEnabled(false) // closes connections that went idle meanwhile
	}
}

// stop closes the listeners, waits for the accept loops until ctx ends, and closes the idle
// keep-alive connections.
func (d *drainer) stop(ctx context.Context, srv *http.Server) {
	d.stopAccepting()
	d.waitServes(ctx)
	srv.SetKeepAlivesEnabled(false)
}

func (d *drainer) stopAccepting() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closing = true
	for _, ln := range d.ln {
		ln.Close()
	}
}

// waitServes waits for the accept loops to end: after that no connection is added.
func (d *drainer) waitServes(ctx context.Context) {
	done := make(chan struct{})
	go func() { d.serves.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// busy reports whether some connection is new (its first request not read yet) or active.
func (d *drainer) busy() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, st := range d.conns {
		if st == http.StateNew || st == http.StateActive {
			return true
		}
	}
	return false
}
