package epoll

import (
	"slices"
	"testing"
	"time"
)

func TestWheelFiresEachEntryOnceWhenDue(t *testing.T) {
	const tick = int64(10 * time.Millisecond)
	tests := []struct {
		name  string
		due   []int64 // per entry, loop time
		now   int64
		fired []int // entry indexes, in any order
	}{
		{name: "nothing due yet", due: []int64{tick, 3 * tick}, now: tick / 2, fired: nil},
		{name: "due on a tick boundary", due: []int64{tick, 3 * tick}, now: tick, fired: []int{0}},
		{name: "between ticks waits for the next", due: []int64{tick + 1}, now: tick + tick/2, fired: nil},
		{name: "late advance fires all past", due: []int64{tick, 2 * tick, 5 * tick}, now: 4 * tick, fired: []int{0, 1}},
		{name: "beyond one turn of the wheel", due: []int64{(wheelSlots + 2) * tick}, now: 2 * tick, fired: nil},
		{name: "beyond one turn, reached", due: []int64{(wheelSlots + 2) * tick}, now: (wheelSlots + 2) * tick, fired: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w wheel
			w.init(time.Duration(tick))
			conns := make([]*conn, len(tt.due))
			for i, at := range tt.due {
				conns[i] = &conn{}
				w.add(conns[i], at)
			}
			var fired []int
			w.advance(tt.now, func(c *conn) { fired = append(fired, slices.Index(conns, c)) })
			slices.Sort(fired)
			if !slices.Equal(fired, tt.fired) {
				t.Fatalf("fired %v, want %v", fired, tt.fired)
			}
			if want := len(tt.due) - len(tt.fired); w.size != want {
				t.Errorf("%d still scheduled, want %d", w.size, want)
			}
			w.advance(tt.now, func(c *conn) { t.Errorf("entry %d fired twice", slices.Index(conns, c)) })
		})
	}
}

func TestWheelRemoveAndReschedule(t *testing.T) {
	var w wheel
	w.init(10 * time.Millisecond)
	a, b := &conn{}, &conn{}
	w.add(a, int64(10*time.Millisecond))
	w.add(b, int64(10*time.Millisecond))
	w.remove(a)
	w.remove(a) // a second remove does nothing
	var fired []*conn
	w.advance(int64(10*time.Millisecond), func(c *conn) {
		fired = append(fired, c)
		w.add(c, int64(30*time.Millisecond)) // rescheduled from inside fire
	})
	if len(fired) != 1 || fired[0] != b {
		t.Fatalf("fired %d entries (b first: %v), want only b", len(fired), len(fired) > 0 && fired[0] == b)
	}
	if got, want := w.nextTick(), int64(20*time.Millisecond); got != want {
		t.Errorf("nextTick = %v, want %v", got, want)
	}
	fired = nil
	w.advance(int64(30*time.Millisecond), func(c *conn) { fired = append(fired, c) })
	if len(fired) != 1 || w.size != 0 || w.nextTick() != 0 {
		t.Errorf("after the reschedule: fired %d, size %d, nextTick %d; want 1, 0, 0", len(fired), w.size, w.nextTick())
	}
}
