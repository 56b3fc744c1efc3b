package netloop

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// peerHasBytes reports whether bytes have reached peer's socket, without reading them.
func peerHasBytes(peer net.Conn) bool {
	rc, _ := peer.(*net.TCPConn).SyscallConn()
	var n int
	rc.Control(func(fd uintptr) {
		n, _, _ = unix.Recvfrom(int(fd), make([]byte, 1), unix.MSG_PEEK|unix.MSG_DONTWAIT)
	})
	return n > 0
}

// startWoken starts a task on c that waits for a byte, which it has peer send, so that the
// loop (not Start's caller) runs f, with its output batch; the channel receives f's result.
func startWoken(c *Conn, peer net.Conn, f func() error) <-chan error {
	done := make(chan error, 1)
	Start(c, func() {
		if _, err := c.Read(make([]byte, 1)); err != nil {
			done <- err
			return
		}
		done <- f()
	})
	peer.Write([]byte("1"))
	return done
}

// chunks returns n chunks of size bytes, each filled with its own letter.
func chunks(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{byte('a' + i%26)}, size)
	}
	return out
}

// TestWritesOfATaskRunByTheLoopLeaveAfterTheBatch: small writes wait for the end of the loop's
// batch, in order; a large write sends them first.
func TestWritesOfATaskRunByTheLoopLeaveAfterTheBatch(t *testing.T) {
	big := bytes.Repeat([]byte("L"), maxDeferred+1)
	c, peer := pair(t)
	heldBack := make(chan bool, 1)
	done := startWoken(c, peer, func() error {
		c.Write([]byte("one,"))
		c.Write([]byte("two,"))
		time.Sleep(20 * time.Millisecond)
		heldBack <- !peerHasBytes(peer)
		_, err := c.Write(big)
		return err
	})
	if !<-heldBack {
		t.Error("small writes reached the peer before the loop's batch ended")
	}
	want := append([]byte("one,two,"), big...)
	got := make([]byte, len(want))
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("peer read %q..., %v; want %q...", got[:min(len(got), 12)], err, want[:12])
	}
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}

// TestWritesInARowToOneConnLeaveInOneSend: a task's consecutive small writes to one Conn
// (pipelined answers) go out in one system call, so in one segment.
func TestWritesInARowToOneConnLeaveInOneSend(t *testing.T) {
	c, peer := pair(t)
	before := make(chan uint32, 1)
	done := startWoken(c, peer, func() error {
		before <- segmentsOut(c)
		for _, s := range []string{"one,", "two,", "three"} {
			c.Write([]byte(s))
		}
		return nil // the loop sends the batch once the task is done
	})
	got := make([]byte, len("one,two,three"))
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil || string(got) != "one,two,three" {
		t.Fatalf("peer read %q, %v", got, err)
	}
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	if n := segmentsOut(c) - <-before; n != 1 {
		t.Fatalf("three writes in a row left in %d segments, want 1", n)
	}
}

// segmentsOut is the number of segments c's socket has sent.
func segmentsOut(c *Conn) uint32 {
	info, err := unix.GetsockoptTCPInfo(c.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0
	}
	return info.Segs_out
}

// TestOwedBytesReachASlowReaderInOrder: a batch larger than the socket takes is sent as far as
// it goes; the rest follows as the reader makes room, before any later write.
func TestOwedBytesReachASlowReaderInOrder(t *testing.T) {
	parts := chunks(60, maxDeferred) // 240 KiB, more than the shrunk socket buffers hold
	owing := make(chan bool, 1)
	c, peer := pair(t)
	shrinkBuffers(t, c)
	done := startWoken(c, peer, func() error {
		for _, p := range parts {
			if _, err := c.Write(p); err != nil {
				return err
			}
		}
		if _, err := c.Read(make([]byte, 1)); err != nil { // the batch is sent meanwhile
			return err
		}
		owing <- c.owed.Load() != nil
		_, err := c.Write([]byte("end"))
		return err
	})
	waitOwing(t, c)
	peer.Write([]byte("2"))
	if !<-owing {
		t.Fatal("c owed nothing before its last write: the test did not exercise owed bytes")
	}
	want := append(bytes.Join(parts, nil), "end"...)
	got := make([]byte, len(want))
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("peer read %v; bytes in order: %v", err, bytes.Equal(got, want))
	}
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}

// TestCloseAfterDeferredWritesSendsThemFirst: a response written and closed at once (a
// Connection: close answer) reaches even a slow reader whole, then the end of the stream.
func TestCloseAfterDeferredWritesSendsThemFirst(t *testing.T) {
	for _, n := range []int{1, 60} {
		parts := chunks(n, maxDeferred)
		c, peer := pair(t)
		shrinkBuffers(t, c)
		done := startWoken(c, peer, func() error {
			for _, p := range parts {
				c.Write(p)
			}
			return c.Close()
		})
		if err := result(t, done); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // the reader is slow: the close came long before
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(peer)
		if err != nil || !bytes.Equal(got, bytes.Join(parts, nil)) {
			t.Fatalf("%d parts: peer read %d bytes, %v; want %d then the end", n, len(got), err, n*maxDeferred)
		}
	}
}

// TestFailedDeferredWriteFailsTheNextWrite: once a deferred write failed, the writer's next
// write reports it instead of going into the batch again.
func TestFailedDeferredWriteFailsTheNextWrite(t *testing.T) {
	c, peer := pair(t)
	waitOn, kick := pair(t) // the task parks on this one between its writes
	writes := make(chan error, 2)
	var failed error // the deferred write's error, as c keeps it
	Start(c, func() {
		Bind(waitOn, c)
		for range 2 {
			if _, err := waitOn.Read(make([]byte, 1)); err != nil {
				writes <- err
				return
			}
			if o := c.owed.Load(); o != nil {
				failed = o.err
			}
			_, err := c.Write([]byte("hello"))
			writes <- err
		}
	})
	peer.(*net.TCPConn).SetLinger(0)
	peer.Close() // reset: sending to c fails from now on
	time.Sleep(20 * time.Millisecond)
	kick.Write([]byte("1"))
	if err := <-writes; err != nil {
		t.Fatalf("first write (deferred): %v", err)
	}
	waitOwing(t, c) // the deferred write was sent, and failed
	kick.Write([]byte("2"))
	select {
	case err := <-writes:
		if err == nil || err != failed {
			t.Fatalf("write after a failed deferred write: %v, want the deferred write's error %v", err, failed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second write did not return")
	}
}

// waitOwing returns once c owes bytes or keeps a deferred write's error: the loop has flushed
// its batch.
func waitOwing(t *testing.T, c *Conn) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); c.owed.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the loop's batch left nothing owed on the Conn")
		}
	}
}

// shrinkBuffers makes c's send buffer small: a peer that does not read fills it, and its own
// receive buffer (128 KiB at the start), with less than a batch holds.
func shrinkBuffers(t *testing.T, c *Conn) {
	t.Helper()
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}
}
