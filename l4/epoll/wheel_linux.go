package epoll

import "time"

// wheelSlots is the wheel's size; an entry further than that many ticks ahead waits in its
// slot for the rounds in between.
const wheelSlots = 256

// wheel is a coarse timer wheel of connections: tick t's slot holds the entries due in
// ((t-1)·tick, t·tick], processed once the loop's clock reaches t·tick. Adding and removing
// are O(1) pointer updates; the loop goroutine owns it.
type wheel struct {
	tick  int64 // ns per slot
	next  int64 // the next tick to process
	size  int
	slots [wheelSlots]*conn
}

func (w *wheel) init(tick time.Duration) { w.tick = int64(tick) }

// add schedules c, which must not be scheduled, at loop time at.
func (w *wheel) add(c *conn, at int64) {
	t := max((at+w.tick-1)/w.tick, w.next)
	s := int(t % wheelSlots)
	c.due, c.slot, c.scheduled = at, s, true
	c.wprev, c.wnext = nil, w.slots[s]
	if c.wnext != nil {
		c.wnext.wprev = c
	}
	w.slots[s] = c
	w.size++
}

// remove unschedules c; it does nothing if c is not scheduled.
func (w *wheel) remove(c *conn) {
	if !c.scheduled {
		return
	}
	if c.wprev != nil {
		c.wprev.wnext = c.wnext
	} else {
		w.slots[c.slot] = c.wnext
	}
	if c.wnext != nil {
		c.wnext.wprev = c.wprev
	}
	c.wprev, c.wnext, c.scheduled = nil, nil, false
	w.size--
}

// advance unschedules and fires every entry due by now. fire may schedule its entry again.
func (w *wheel) advance(now int64, fire func(*conn)) {
	last := now / w.tick
	for t := max(w.next, last-wheelSlots+1); t <= last && w.size > 0; t++ {
		for c := w.slots[t%wheelSlots]; c != nil; {
			next := c.wnext
			if c.due <= now {
				w.remove(c)
				fire(c)
			}
			c = next
		}
	}
	w.next = max(w.next, last+1)
}

// nextTick is the loop time of the next tick to process, or 0 when nothing is scheduled.
func (w *wheel) nextTick() int64 {
	if w.size == 0 {
		return 0
	}
	return max(w.next*w.tick, 1)
}
