package netloop

import (
	"context"
	"iter"
	"net"
	"sync/atomic"
	"time"
)

// Task states.
const (
	taskRunning  int32 = iota // executing, on whichever goroutine resumed it
	taskParking               // yielding in a wait; its resumer is about to mark it parked
	taskParked                // yielded in a wait; the next wake resumes it
	taskWoken                 // a wake came while it ran or yielded: it rechecks instead of parking
	taskDetached              // runs as an ordinary goroutine from now on
	taskDone
)

// A Task is a connection's code run as a coroutine: when it must wait for one of its Conns,
// it hands control back instead of parking its goroutine, and the loop resumes it, on the
// loop's own goroutine, right when the event arrives. A busy proxy then runs every
// connection's work inline in the loop, the way an event-driven server does, without a
// goroutine switch through the scheduler per wait (a channel send, a park, a run-queue pass).
//
// The code of a task must not block on anything but its Conns for long: while it runs, the
// goroutine that resumed it (usually the loop) waits. Before it hands a Conn to other
// goroutines (a tunnel, another protocol's server) or blocks elsewhere, it calls Detach.
type Task struct {
	p     *Poller // the poller of the connection it started with
	state atomic.Int32
	next  func() (struct{}, bool)
	yield func(struct{}) bool
	// batch is the output batch of the loop running the task, while one does (nil when the
	// task runs elsewhere); written by the loop, read by the task, which the coroutine
	// switches order.
	batch *outBatch
}

// Start runs f as a task bound to c, on the calling goroutine until f first waits; ok is false
// when c is not a *Conn (then nothing was run).
func Start(c net.Conn, f func()) (ok bool) {
	nc, isConn := c.(*Conn)
	if !isConn {
		return false
	}
	t := &Task{p: nc.p}
	t.next, _ = iter.Pull(func(yield func(struct{}) bool) {
		t.yield = yield
		f()
		t.state.Store(taskDone)
	})
	nc.task.Store(t)
	t.resume(nil)
	return true
}

// Bind makes the task of the connection bound to from wait for c too (a backend connection
// taken from a pool); Unbind releases it (given back). Both do nothing for other types.
func Bind(c, from net.Conn) {
	if nc, ok := c.(*Conn); ok {
		if f, ok := from.(*Conn); ok {
			nc.task.Store(f.task.Load())
		}
	}
}

// Unbind releases c from its task, before it goes back to a pool.
func Unbind(c net.Conn) {
	if nc, ok := c.(*Conn); ok {
		nc.task.Store(nil)
	}
}

// Detach makes the task bound to c an ordinary goroutine from now on; call it from the task.
func Detach(c net.Conn) {
	if nc, ok := c.(*Conn); ok {
		if t := nc.task.Load(); t != nil {
			t.detach()
		}
	}
}

func (t *Task) detach() {
	if t.state.Load() == taskDetached {
		return
	}
	if t.batch != nil {
		t.batch.flush() // its writes go before the ones it makes as a goroutine
	}
	t.state.Store(taskDetached)
	t.yield(struct{}{}) // the resumer sees the state and lets a new goroutine carry on
}

// resume runs the task until it waits, detaches or ends, with out as its output batch (nil:
// none). Only the goroutine that made the task running calls it; the task counts as parked
// (resumable by a wake) only once it has yielded, so two goroutines never resume it at once.
// A detached task goes on on a new goroutine. The batch is set only while the task runs here:
// it is cleared before the task can be resumed elsewhere.
func (t *Task) resume(out *outBatch) {
	t.batch = out
	for {
		t.next()
		switch t.state.Load() {
		case taskParking:
			t.batch = nil
			if t.state.CompareAndSwap(taskParking, taskParked) {
				return
			}
			t.batch = out // woken while yielding: it goes on here
		case taskWoken: // woken while yielding: resume at once
			t.state.Store(taskRunning)
		case taskDetached:
			t.batch = nil
			go t.next()
			return
		default:
			t.batch = nil
			return
		}
	}
}

// active reports whether waits on the task's Conns yield to the loop.
func (t *Task) active() bool {
	return t != nil && t.state.Load() != taskDetached
}

// park yields until a wake resumes the task, unless ready reports true or a wake came first;
// w.want is set around it.
func (t *Task) park(w *waiter, ready func() bool) {
	w.want.Store(true)
	if !ready() && t.state.CompareAndSwap(taskRunning, taskParking) {
		t.yield(struct{}{}) // back here once resumed
	}
	t.state.CompareAndSwap(taskWoken, taskRunning)
	w.want.Store(false)
}

// wake resumes a parked task on the calling goroutine (inline: the loop, with its output batch
// out, or a timer's goroutine) or on a new one (a caller holding locks: Close, SetDeadline),
// or marks a running or yielding one so that it rechecks.
func (t *Task) wake(inline bool, out *outBatch) {
	for {
		switch s := t.state.Load(); s {
		case taskParked:
			if t.state.CompareAndSwap(taskParked, taskRunning) {
				if inline {
					t.resume(out)
				} else {
					go t.resume(nil)
				}
				return
			}
		case taskRunning, taskParking:
			if t.state.CompareAndSwap(s, taskWoken) {
				return
			}
		default:
			return
		}
	}
}

type taskKey struct{}

// A Task is also the context its Dialer calls get (see Context): a background context that
// carries the task, passed without allocating.
func (t *Task) Deadline() (time.Time, bool) { return time.Time{}, false }
func (t *Task) Done() <-chan struct{}       { return nil }
func (t *Task) Err() error                  { return nil }
func (t *Task) Value(key any) any {
	if key == (taskKey{}) {
		return t
	}
	return nil
}

// Context returns a context for dialing on behalf of the task bound to c (context.Background
// when there is none): a Dialer binds the new connection to that task, and detaches the task
// before a dial the loop cannot wait for (a host name).
func Context(c net.Conn) context.Context {
	if nc, ok := c.(*Conn); ok {
		if t := nc.task.Load(); t.active() {
			return t
		}
	}
	return context.Background()
}

func taskOf(ctx context.Context) *Task {
	t, _ := ctx.Value(taskKey{}).(*Task)
	return t
}

func detachFrom(ctx context.Context) {
	if t := taskOf(ctx); t.active() {
		t.detach()
	}
}
