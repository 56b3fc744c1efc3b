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
// shutdown) closes both sockets. The client→backend direction runs in a second goroutine,
// the reverse one in the caller's; the idle sweep (see sweepIdle) watches c from now on.
func (s *Stream) pipe(c *conn, idle time.Duration) (in, out int64) {
	b := c.backend.Load()
	c.idle = idle
	c.checkAt.Store(s.clock.Load() + int64(idle))
	c.wg.Add(1)
	go s.copyIn(c, b)
	out = copyHalf(c.client, b, c)
	s.stats.bytesOut.Add(uint64(out))
	c.wg.Wait()
	return c.in, out
}

func (s *Stream) copyIn(c *conn, b *net.TCPConn) {
	defer c.wg.Done()
	c.in = copyHalf(b, c.client, c)
	s.stats.bytesIn.Add(uint64(c.in))
}

// copyHalf copies src into dst: chunks smaller than a small buffer with read(2)/write(2),
// then, from the first read that fills the buffer, splice(2) for the rest of the
// connection (see copySmall). At a clean EOF it shuts dst's write half, unless the other
// direction has already ended: then the caller closes both sockets at once, which sends the
// same FIN without the extra shutdown(2). On an error it closes the whole connection so the
// other direction ends too. It returns the bytes copied.
func copyHalf(dst, src *net.TCPConn, c *conn) int64 {
	n, eof, err := copySmall(dst, src)
	if err == nil && !eof {
		var m int64
		m, err = dst.ReadFrom(src) // *TCPConn → *TCPConn: splice(2), no user-space copy
		n += m
	}
	if err != nil {
		c.close()
		return n
	}
	if c.ended.Add(1) == 2 {
		return n
	}
	if dst.CloseWrite() != nil {
		c.close()
	}
	return n
}

// smallChunk is the read size below which copySmall keeps copying in user space. For a
// payload this small, read(2)+write(2) costs the kernel about half of splice(2)'s
// socket→pipe→socket pair; a read that fills it means bulk data, which goes to splice.
const smallChunk = 2048

var smallBuffers = sync.Pool{New: func() any { return new([smallChunk]byte) }}

// copySmall relays src's small chunks to dst until src ends (eof), a read fills the
// buffer (bulk: the caller continues with splice), or an error. It waits for src to be
// readable holding no buffer, so an idle connection holds none.
func copySmall(dst, src *net.TCPConn) (n int64, eof bool, err error) {
	rc, err := src.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	for {
		buf := smallBuffers.Get().(*[smallChunk]byte)
		m, rerr := readReady(rc, buf[:])
		if m > 0 {
			_, err = dst.Write(buf[:m])
			n += int64(m)
		}
		smallBuffers.Put(buf)
		switch {
		case err != nil:
			return n, false, err
		case rerr != nil:
			return n, false, rerr
		case m == 0:
			return n, true, nil
		case m == smallChunk:
			return n, false, nil
		}
	}
}

// readReady reads once from rc into buf, waiting for readability if nothing is queued.
func readReady(rc syscall.RawConn, buf []byte) (n int, err error) {
	var serr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, serr = syscall.Read(int(fd), buf)
			if serr != syscall.EINTR {
				return serr != syscall.EAGAIN
			}
		}
	})
	if err == nil {
		err = serr
	}
	if n < 0 {
		n = 0
	}
	return n, err
}

// quietFor is the time since either socket of c last received data; ok is false when the
// kernel cannot tell (a closed socket, or not Linux).
func quietFor(c *conn) (time.Duration, bool) {
	crc, err1 := c.client.SyscallConn()
	brc, err2 := c.backend.Load().SyscallConn()
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return quietForRaw(crc, brc)
}

func quietForRaw(a, b syscall.RawConn) (time.Duration, bool) {
	qa, ok1 := sinceLastReceive(a)
	qb, ok2 := sinceLastReceive(b)
	return min(qa, qb), ok1 && ok2
}
