package netloop

import (
	"sync"
	"sync/atomic"
	"time"
)

// waiter is one direction of a Conn: whether a goroutine waits on it, the channel that wakes
// it, and the direction's deadline.
type waiter struct {
	c    *Conn
	want atomic.Bool
	// ch has capacity 1: a wake-up is never lost, a stale one only rechecks. It is made by
	// the first wait, so a connection that never waits costs no channel.
	ch      atomic.Pointer[chan struct{}]
	expired atomic.Bool // the deadline has passed

	mu    sync.Mutex // guards at and timer
	at    time.Time
	timer *time.Timer
}

// park announces the calling goroutine, rechecks with ready (true: do not wait) and waits.
func (w *waiter) park(ready func() bool) {
	ch := w.ch.Load()
	if ch == nil {
		c := make(chan struct{}, 1)
		ch = &c
		w.ch.Store(ch)
	}
	w.want.Store(true)
	if !ready() {
		<-*ch
	}
	w.want.Store(false)
}

// wake wakes the goroutine parked in park, if one announced itself.
func (w *waiter) wake() {
	if w.want.Load() {
		w.c.p.wokeGoroutine.Store(true)
		select {
		case *w.ch.Load() <- struct{}{}:
		default:
		}
	}
}

// setDeadline arms the deadline; a zero t removes it. The runtime timer is touched only here.
func (w *waiter) setDeadline(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.at = t
	if t.IsZero() {
		w.expired.Store(false)
		if w.timer != nil {
			w.timer.Stop()
		}
		return
	}
	d := time.Until(t)
	w.expired.Store(d <= 0)
	switch {
	case d <= 0:
		w.c.wake(w, false, nil) // w.mu is held: a parked task goes on elsewhere
	case w.timer == nil:
		w.timer = time.AfterFunc(d, w.fire)
	default:
		w.timer.Reset(d)
	}
}

// fire runs when the timer goes off; a deadline moved meanwhile is checked again.
func (w *waiter) fire() {
	w.mu.Lock()
	due := !w.at.IsZero() && !time.Now().Before(w.at)
	w.mu.Unlock()
	if due {
		w.expired.Store(true)
		w.c.wake(w, true, nil) // the timer's own goroutine may run the task
	}
}

// stop drops the timer, for Close.
func (w *waiter) stop() {
	w.mu.Lock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
}
