package l4

import (
	"math"
	"time"
)

// The idle timeout is enforced by one sweep goroutine per listener instead of a timer per
// connection. Each forwarding connection carries checkAt, the (coarse) time at which the
// sweep should ask the kernel how long its sockets have been quiet (TCP_INFO, see
// idle_linux.go); a connection with traffic is rescheduled for the remainder, a quiet one is
// closed. A connection costs the sweep nothing until its checkAt passes, so short
// connections never reach the kernel query.

// never is a checkAt the sweep never reaches: the connection is not forwarding yet, or the
// kernel cannot report its quiet time.
const never = math.MaxInt64

// sweepPeriod is how often the sweep runs for a listener whose idle timeout is idle: a
// quarter of it, between 10 ms and 1 s, so a connection closes at most that late.
func sweepPeriod(idle time.Duration) time.Duration {
	return min(max(idle/4, 10*time.Millisecond), time.Second)
}

// sweepIdle runs until Shutdown, keeping s.clock current and closing idle connections.
func (s *Stream) sweepIdle(period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	var due []*conn // reused between sweeps; only this goroutine touches it
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			s.clock.Store(now.UnixNano())
			due = s.closeIdle(now.UnixNano(), due[:0])
		}
	}
}

// closeIdle checks every connection whose checkAt has passed and returns due emptied, for
// reuse. The kernel queries run outside the lock.
func (s *Stream) closeIdle(now int64, due []*conn) []*conn {
	s.mu.Lock()
	for c := s.conns; c != nil; c = c.next {
		if c.checkAt.Load() <= now {
			due = append(due, c)
		}
	}
	s.mu.Unlock()
	for i, c := range due {
		checkIdle(c, now)
		due[i] = nil
	}
	return due[:0]
}

// checkIdle closes c if neither socket has received data for its idle timeout, and
// otherwise schedules the next check for when that could first be true.
func checkIdle(c *conn, now int64) {
	quiet, ok := quietFor(c)
	switch {
	case !ok:
		c.checkAt.Store(never) // closed meanwhile, or the kernel cannot tell: nothing to enforce
	case quiet >= c.idle:
		c.close()
	default:
		c.checkAt.Store(now + int64(c.idle-quiet))
	}
}
