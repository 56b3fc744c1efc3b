package l4

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// pipe copies both ways with splice(2) until each direction has ended, propagating a
// half-close: when one side finishes sending, the other side's write half is shut, and the
// reverse direction keeps flowing. An error in either direction (reset, idle timeout,
// shutdown) closes both sockets.
func (s *Stream) pipe(c *conn, idle time.Duration) {
	b := c.backend.Load()
	stop := watchIdle(c, idle)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.stats.bytesIn.Add(uint64(copyHalf(b, c.client, c)))
	}()
	s.stats.bytesOut.Add(uint64(copyHalf(c.client, b, c)))
	wg.Wait()
}

// copyHalf splices src into dst. At a clean EOF it shuts dst's write half; on an error it
// closes the whole connection so the other direction ends too. It returns the bytes copied.
func copyHalf(dst, src *net.TCPConn, c *conn) int64 {
	n, err := dst.ReadFrom(src) // *TCPConn → *TCPConn: splice(2), no user-space copy
	if err != nil {
		c.close()
		return n
	}
	if dst.CloseWrite() != nil {
		c.close()
	}
	return n
}

// watchIdle closes c when neither socket has received data for idle. It checks the kernel's
// own per-socket "last data received" clock at most once per idle period (rescheduling for
// the remainder when there was traffic), so it costs one timer per connection and no work
// per byte. It returns a function that stops the watchdog.
func watchIdle(c *conn, idle time.Duration) (stop func()) {
	crc, err1 := c.client.SyscallConn()
	brc, err2 := c.backend.Load().SyscallConn()
	if err1 != nil || err2 != nil {
		return func() {}
	}
	var t *time.Timer
	var mu sync.Mutex // guards t against the callback re-arming while stop runs
	check := func() {
		quiet, ok := quietFor(crc, brc)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case !ok:
			return // the kernel cannot tell (closed socket or non-Linux): nothing to enforce
		case quiet >= idle:
			c.close()
		default:
			t.Reset(idle - quiet)
		}
	}
	mu.Lock()
	t = time.AfterFunc(idle, check)
	mu.Unlock()
	return func() { mu.Lock(); t.Stop(); mu.Unlock() }
}

// quietFor is the time since either socket last received data.
func quietFor(a, b syscall.RawConn) (time.Duration, bool) {
	qa, ok1 := sinceLastReceive(a)
	qb, ok2 := sinceLastReceive(b)
	return min(qa, qb), ok1 && ok2
}
