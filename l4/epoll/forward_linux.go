package epoll

import (
	"github.com/fulcrum-lb/fulcrum/rawsock"
	"golang.org/x/sys/unix"
)

const (
	pipeBytes = 1 << 20 // pipe buffer and splice size, as the Go runtime uses
	idlePipes = 64      // empty pipes a loop keeps for reuse
)

// direction is one way of a connection: src's bytes to dst.
type direction struct {
	pend    []byte // bytes read but not yet written, from off (only when dst was full)
	off     int
	pipe    pipe // splice mode: bytes in flight, taken lazily from the loop's pool
	hasPipe bool
	inPipe  int
	splice  bool // a read filled the buffer: bulk, moved with splice(2) from now on
	eof     bool // src ended; done once everything is written
	done    bool // dst's write half is shut (or the other way ended first)
	n       int64
}

func (d *direction) pending() bool { return d.off < len(d.pend) || d.inPipe > 0 }

// pump moves bytes both ways as far as readiness allows; it closes c when both directions
// have ended or either failed (a reset, a write to a closed peer).
func (l *loop) pump(c *conn) {
	err := l.move(c, &c.in, &c.out, &c.client, &c.backend)
	if err == nil {
		err = l.move(c, &c.out, &c.in, &c.backend, &c.client)
	}
	if err != nil || c.in.done && c.out.done {
		l.close(c)
	}
}

// move runs one direction until it waits for readiness or ends.
func (l *loop) move(c *conn, d, other *direction, src, dst *side) error {
	for !d.done {
		switch {
		case d.pending():
			if !dst.writable {
				return nil
			}
			if err := flush(d, dst); err != nil {
				return err
			}
		case d.eof:
			return finish(d, other, dst)
		case !src.readable:
			return nil
		case d.splice:
			if err := l.spliceIn(c, d, src); err != nil {
				return err
			}
		default:
			if err := l.read(c, d, src, dst); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish propagates src's EOF: dst's write half is shut, unless the other direction has
// ended too — then the close that follows sends the same FIN, one syscall fewer.
func finish(d, other *direction, dst *side) error {
	d.done = true
	if other.done {
		return nil
	}
	return rawsock.ShutdownWrite(dst.fd)
}

// read reads one chunk into the loop's buffer and writes it straight to dst; what dst
// cannot take now is kept in d.pend.
func (l *loop) read(c *conn, d *direction, src, dst *side) error {
	n, err := rawsock.Read(src.fd, l.buf[:])
	if more, err := readOutcome(int64(n), err, d, src); !more {
		return err
	}
	c.lastActive = l.now
	d.n += int64(n)
	switch {
	case n == len(l.buf):
		d.splice = true
	case src.rdhup:
		d.eof = true // a short read after the peer's FIN: nothing more will come
	default:
		src.readable = false // a short read emptied the socket
	}
	return write(d, dst, l.buf[:n])
}

// readOutcome sorts the result of a read or splice from src: more is true when n bytes
// arrived; otherwise it records EAGAIN (src drained) or EOF on d, and err is the error that
// ends the connection, if any.
func readOutcome(n int64, err error, d *direction, src *side) (more bool, _ error) {
	switch {
	case err == unix.EAGAIN:
		src.readable = false
		return false, nil
	case err == unix.EINTR:
		return false, nil
	case err != nil:
		return false, err
	case n == 0:
		d.eof = true
		return false, nil
	}
	return true, nil
}

// write sends b to dst, keeping the rest in d.pend if dst is full.
func write(d *direction, dst *side, b []byte) error {
	w := 0
	if dst.writable {
		var err error
		w, err = rawsock.Send(dst.fd, b)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			w = 0
		case err != nil:
			return err
		}
	}
	if w < len(b) {
		dst.writable = false
		d.pend, d.off = append(d.pend[:0], b[w:]...), 0
	}
	return nil
}

// flush writes pending bytes (the kept chunk, or the pipe) to dst.
func flush(d *direction, dst *side) error {
	var err error
	if d.off < len(d.pend) {
		var n int
		n, err = rawsock.Send(dst.fd, d.pend[d.off:])
		if n > 0 {
			d.off += n
		}
		if d.off == len(d.pend) {
			d.pend, d.off = d.pend[:0], 0
		}
	} else {
		var n int64
		n, err = rawsock.Splice(d.pipe.r, dst.fd, d.inPipe)
		d.inPipe -= int(max(n, 0))
	}
	switch err {
	case nil, unix.EINTR:
		return nil
	case unix.EAGAIN:
		dst.writable = false
		return nil
	}
	return err
}

// spliceIn moves what src has into the direction's (empty) pipe; EAGAIN therefore means
// src is drained.
func (l *loop) spliceIn(c *conn, d *direction, src *side) error {
	if !d.hasPipe {
		p, err := l.getPipe()
		if err != nil {
			return err
		}
		d.pipe, d.hasPipe = p, true
	}
	n, err := rawsock.Splice(src.fd, d.pipe.w, pipeBytes)
	if more, err := readOutcome(n, err, d, src); !more {
		return err
	}
	c.lastActive = l.now
	d.inPipe += int(n)
	d.n += n
	return nil
}

// pipe is a pipe's two ends.
type pipe struct{ r, w int }

func (p pipe) close() {
	unix.Close(p.r)
	unix.Close(p.w)
}

// getPipe takes an empty pipe from the pool, or makes one of pipeBytes.
func (l *loop) getPipe() (pipe, error) {
	if n := len(l.pipes); n > 0 {
		p := l.pipes[n-1]
		l.pipes = l.pipes[:n-1]
		return p, nil
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return pipe{}, err
	}
	unix.FcntlInt(uintptr(fds[0]), unix.F_SETPIPE_SZ, pipeBytes) // a smaller pipe works too
	return pipe{r: fds[0], w: fds[1]}, nil
}

// putPipe returns d's pipe to the pool if it is empty, else closes it.
func (l *loop) putPipe(d *direction) {
	if !d.hasPipe {
		return
	}
	if d.inPipe == 0 && len(l.pipes) < idlePipes {
		l.pipes = append(l.pipes, d.pipe)
	} else {
		d.pipe.close()
	}
	d.hasPipe = false
}
