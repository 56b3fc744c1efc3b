package netloop

import (
	"net"
	"os"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/rawsock"
	"golang.org/x/sys/unix"
)

// Limits of an output batch: a write larger than maxDeferred, or one that would take the
// batch past batchBytes, is sent at once (after what the batch holds).
const (
	maxDeferred = 4 << 10
	batchBytes  = 256 << 10
)

// closeLinger is how long a closed Conn keeps sending bytes it owes a slow reader before it
// drops them.
const closeLinger = 10 * time.Second

// outBatch holds the small writes that the tasks a loop resumes make during one batch of
// events; the loop sends them when the batch is done. The answers to a batch's requests then
// reach their readers (clients, backends) together, one wake-up for several, the way an
// event-driven server sends what its handlers queued at the end of a poll. Only the loop's
// goroutine and the task it runs touch it.
type outBatch struct {
	buf     []byte // the deferred writes' bytes, in order; cap batchBytes once used
	entries []deferredWrite
}

type deferredWrite struct {
	c        *Conn
	from, to int // bytes of buf
}

// add takes b as c's next bytes when it is small and c can take it now (writable, owing
// nothing). The caller has entered c: when add takes b, the batch keeps that call in progress
// until it has sent c's bytes, so the descriptor stays open through a Close meanwhile.
func (o *outBatch) add(c *Conn, b []byte) bool {
	if len(b) > maxDeferred || len(o.buf)+len(b) > batchBytes || c.ready.Load()&writable == 0 || c.owed.Load() != nil {
		return false
	}
	if o.buf == nil {
		o.buf = make([]byte, 0, batchBytes)
	}
	from := len(o.buf)
	o.buf = append(o.buf, b...)
	if n := len(o.entries); n > 0 && o.entries[n-1].c == c {
		o.entries[n-1].to = len(o.buf) // one send for c's writes in a row (pipelined answers)
		c.leave()                      // the entry already holds a call in progress
		return true
	}
	o.entries = append(o.entries, deferredWrite{c, from, len(o.buf)})
	return true
}

// flush sends the batch's writes in the order they were made. A socket that takes only part
// of its bytes owes the rest: it sends them when it becomes writable.
func (o *outBatch) flush() {
	for i := range o.entries {
		e := &o.entries[i]
		e.c.sendDeferred(o.buf[e.from:e.to])
		e.c.leave()
		e.c = nil
	}
	o.entries = o.entries[:0]
	o.buf = o.buf[:0]
}

// owedBytes are bytes a Conn accepted from its writer but could not send yet.
type owedBytes struct {
	mu   sync.Mutex
	b    []byte // not sent yet
	err  error  // sending failed: every later write fails with it
	held bool   // a call in progress is held on the Conn until b is sent or dropped
}

// sendDeferred sends b, which the writer counts as written: after what c still owes, if
// anything; what the socket does not take is owed.
func (c *Conn) sendDeferred(b []byte) {
	for {
		if o := c.owed.Load(); o != nil {
			if o.append(b) {
				return
			}
			continue // paid meanwhile
		}
		n, err := rawsock.Send(c.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err == nil && n == len(b):
		case err == nil || err == unix.EAGAIN:
			c.owe(b[max(n, 0):])
		default:
			c.owed.CompareAndSwap(nil, &owedBytes{err: c.opError("write", os.NewSyscallError("write", err))})
		}
		return
	}
}

// append queues b behind what o holds; false when o is paid off (queue on the Conn afresh).
// After a failed send, b is dropped as every later write is.
func (o *owedBytes) append(b []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.held {
		o.b = append(o.b, b...)
	}
	return o.held || o.err != nil
}

// owe keeps b to send when the socket has room, watching the socket for it. A Conn closed
// meanwhile goes back on its poller's table until the bytes are sent, for closeLinger at most.
func (c *Conn) owe(b []byte) {
	o := &owedBytes{b: append([]byte(nil), b...), held: true}
	c.state.Add(1)
	c.owed.Store(o)
	if !c.registered.Load() && c.registered.CompareAndSwap(false, true) {
		if err := c.p.register(c); err != nil {
			o.mu.Lock()
			c.dropOwed(o, c.opError("write", err))
			o.mu.Unlock()
			return
		}
	} else if c.closed() {
		c.p.track(c)
	}
	if c.closed() {
		c.lingerOwed()
	}
	c.payOwed()
}

// payOwed sends what c owes, as far as the socket takes it. done: nothing is owed any more;
// err: an earlier send failed.
func (c *Conn) payOwed() (done bool, err error) {
	o := c.owed.Load()
	if o == nil {
		return true, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil || !o.held {
		return true, o.err
	}
	for len(o.b) > 0 {
		n, err := rawsock.Send(c.fd, o.b)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && c.ready.And(^writable)&writable != 0:
			continue // an event came before the clear: the room it announced may be there
		case err == unix.EAGAIN:
			return false, nil
		case err != nil:
			c.dropOwed(o, c.opError("write", os.NewSyscallError("write", err)))
			return true, o.err
		}
		o.b = o.b[n:]
	}
	c.dropOwed(o, nil)
	return true, nil
}

// dropOwed ends what o holds (o.mu held): the bytes are sent (err nil) or given up. A Conn
// that was closed meanwhile leaves the poller and may close its descriptor now.
func (c *Conn) dropOwed(o *owedBytes, err error) {
	o.b, o.err = nil, err
	if err == nil {
		c.owed.CompareAndSwap(o, nil)
	}
	if !o.held {
		return
	}
	o.held = false
	if c.closed() && c.registered.Load() {
		c.p.forget(c)
	}
	c.leave()
}

// awaitOwed returns once c owes nothing, so that a write keeps the order of the bytes; it
// returns the error that ended an earlier deferred write.
func (c *Conn) awaitOwed() error {
	for {
		done, err := c.payOwed()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if err := c.await(&c.w, writable); err != nil {
			return c.opError("write", err)
		}
	}
}

// lingerOwed gives a Conn closed while it owes bytes closeLinger to send them.
func (c *Conn) lingerOwed() bool {
	o := c.owed.Load()
	if o == nil {
		return false
	}
	o.mu.Lock()
	owes := o.held
	o.mu.Unlock()
	if owes {
		time.AfterFunc(closeLinger, func() {
			o.mu.Lock()
			if o.held {
				c.dropOwed(o, net.ErrClosed)
			}
			o.mu.Unlock()
		})
	}
	return owes
}

// flushTaskBatch sends what the loop running c's task holds for it, before a write that cannot
// wait for the batch's end (a large one, a half-close, a detach).
func (c *Conn) flushTaskBatch() {
	if t := c.task.Load(); t.active() && t.batch != nil {
		t.batch.flush()
	}
}
