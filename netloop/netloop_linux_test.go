package netloop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/loopback"
	"golang.org/x/sys/unix"
)

func poller(t *testing.T) *Poller {
	t.Helper()
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pair returns a Conn accepted by a netloop Listener and the plain net.Conn dialed to it.
func pair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	return dialAccepted(t, listener(t))
}

// listener returns a netloop Listener on a loopback port.
func listener(t *testing.T) *Listener {
	t.Helper()
	l, ok := Listen(poller(t), loopback.Listen(t))
	if !ok {
		t.Fatal("Listen refused a TCP listener")
	}
	return l
}

// dialAccepted dials l and returns the Conn it accepts and the dialed net.Conn, both closed
// when the test ends.
func dialAccepted(t *testing.T, l *Listener) (*Conn, net.Conn) {
	t.Helper()
	peer, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); peer.Close() })
	return c.(*Conn), peer
}

func TestEchoThroughDialedConn(t *testing.T) {
	d := Dialer{Poller: poller(t), Timeout: time.Second}
	c, err := d.DialContext(context.Background(), "tcp", loopback.TCPEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*Conn); !ok {
		t.Fatalf("dial gave %T, want *Conn", c)
	}
	for i := range 100 {
		msg := []byte{byte(i), 'x', 'y'}
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 3)
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round %d: %q, %v", i, got, err)
		}
	}
}

func TestDialRefused(t *testing.T) {
	d := Dialer{Poller: poller(t), Timeout: time.Second}
	_, err := d.DialContext(context.Background(), "tcp", loopback.ClosedPort(t))
	if err == nil || !errors.Is(err, syscallECONNREFUSED) {
		t.Fatalf("dial to a closed port: %v, want connection refused", err)
	}
}

func TestLargeWriteWaitsForRoomAndEOF(t *testing.T) {
	c, peer := pair(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: more than the socket buffers
	done := make(chan error, 1)
	go func() {
		_, err := c.WriteBoth(big[:100], big[100:])
		c.CloseWrite()
		done <- err
	}()
	got, err := io.ReadAll(peer)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("peer read %d bytes, %v; want %d", len(got), err, len(big))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	peer.Close()
	if n, err := c.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read after the peer closed: %d, %v; want EOF", n, err)
	}
}

// TestWriteMoreJoinsTheNextWrite: bytes written with WriteMore wait (the kernel holds them up to
// 200 ms) for the next write and reach the peer together with it.
func TestWriteMoreJoinsTheNextWrite(t *testing.T) {
	c, peer := pair(t)
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 64)
		peer.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := peer.Read(buf)
		got <- fmt.Sprintf("%q %v", buf[:n], err)
	}()
	if _, err := c.WriteMore([]byte("head, ")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := c.Write([]byte("then body")); err != nil {
		t.Fatal(err)
	}
	if g, want := <-got, `"head, then body" <nil>`; g != want {
		t.Fatalf("peer's first read: %s, want %s", g, want)
	}
}

func TestReadDeadline(t *testing.T) {
	c, peer := pair(t)
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err := c.Read(make([]byte, 10))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Fatalf("deadline fired after %v, want about 50ms", d)
	}
	c.SetReadDeadline(time.Time{}) // cleared: reads wait again
	peer.Write([]byte("hi"))
	if n, err := c.Read(make([]byte, 10)); n != 2 || err != nil {
		t.Fatalf("read after clearing the deadline: %d, %v", n, err)
	}
	c.SetReadDeadline(time.Now().Add(-time.Second))
	if err := c.WaitReadable(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("wait with a past deadline: %v", err)
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	for _, wait := range []struct {
		name string
		call func(c *Conn) error
	}{
		{"Read", func(c *Conn) error { _, err := c.Read(make([]byte, 10)); return err }},
		{"WaitReadable", func(c *Conn) error {
			// A fresh connection is assumed readable: a read that finds nothing clears that.
			c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			c.Read(make([]byte, 1))
			c.SetReadDeadline(time.Time{})
			return c.WaitReadable()
		}},
	} {
		t.Run(wait.name, func(t *testing.T) {
			c, _ := pair(t)
			errs := make(chan error, 1)
			go func() { errs <- wait.call(c) }()
			time.Sleep(20 * time.Millisecond)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			wantClosedError(t, errs, "the waiter")
			if err := c.Close(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("write after Close: %v", err)
			}
		})
	}
}

func TestListenerCloseEndsAccept(t *testing.T) {
	l := listener(t)
	errs := make(chan error, 1)
	go func() { _, err := l.Accept(); errs <- err }()
	time.Sleep(20 * time.Millisecond)
	l.Close()
	wantClosedError(t, errs, "Accept")
}

// wantClosedError waits up to 2 s for what (a blocked call) to end with net.ErrClosed.
func wantClosedError(t *testing.T, errs <-chan error, what string) {
	t.Helper()
	select {
	case err := <-errs:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("%s ended with %v after Close, want net.ErrClosed", what, err)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("%s still waits after Close", what)
	}
}

func TestAliveSeesPeerClose(t *testing.T) {
	c, peer := pair(t)
	if !c.Alive() {
		t.Fatal("a fresh connection is not alive")
	}
	peer.Close()
	c.WaitReadable()
	if c.Alive() {
		t.Fatal("a connection the peer closed is alive")
	}
}

func TestReadsWithoutEventsDoNotSpin(t *testing.T) {
	c, peer := pair(t)
	// Many short exchanges: each read must wait for the loop's event, none may be lost.
	for i := range 2000 {
		go peer.Write([]byte{byte(i)})
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil || b[0] != byte(i) {
			t.Fatalf("exchange %d: %v %v", i, b, err)
		}
	}
}

func TestShortConnectionIsNeverRegistered(t *testing.T) {
	l := listener(t)
	peer, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	peer.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	time.Sleep(20 * time.Millisecond) // the request is queued before the accept
	nc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := nc.(*Conn)
	defer c.Close()
	if n, err := c.Read(make([]byte, 100)); n != 18 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	c.Write([]byte("HTTP/1.1 204 No Content\r\n\r\n"))
	if c.registered.Load() {
		t.Fatal("a connection that never waited was put in the epoll set")
	}
	if got := c.RemoteAddr().String(); got != peer.LocalAddr().String() {
		t.Fatalf("RemoteAddr %s, want %s", got, peer.LocalAddr())
	}
	go func() { time.Sleep(20 * time.Millisecond); peer.Write([]byte("x")) }()
	if n, err := c.Read(make([]byte, 100)); n != 1 || err != nil {
		t.Fatalf("read after waiting: %d, %v", n, err)
	}
	if !c.registered.Load() {
		t.Fatal("a connection that waited is not in the epoll set")
	}
}

func TestConnectionsSpreadOverThePollers(t *testing.T) {
	poller(t)
	if len(pollers) < 2 {
		t.Skip("one P: one poller")
	}
	l := listener(t)
	seen := map[*Poller]bool{}
	for range 2 * len(pollers) {
		c, _ := dialAccepted(t, l)
		seen[c.p] = true
	}
	if len(seen) != len(pollers) {
		t.Fatalf("connections went to %d of %d pollers", len(seen), len(pollers))
	}
}

// TestDelayACKs: on a listener with DelayACKs, a request is not ACKed on its own at once (the
// answer will carry the ACK); on a plain one it is.
func TestDelayACKs(t *testing.T) {
	for _, delay := range []bool{false, true} {
		t.Run(fmt.Sprintf("delay=%v", delay), func(t *testing.T) {
			l := listener(t)
			if delay {
				if err := l.DelayACKs(); err != nil {
					t.Fatal(err)
				}
			}
			_, client := dialAccepted(t, l)
			client.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
			time.Sleep(10 * time.Millisecond) // well inside the 40 ms delayed-ACK timeout
			if unacked := unackedSegments(t, client); unacked != map[bool]uint32{false: 0, true: 1}[delay] {
				t.Errorf("client has %d unacknowledged segments 10 ms after its request", unacked)
			}
		})
	}
}

func unackedSegments(t *testing.T, c net.Conn) uint32 {
	t.Helper()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	rc.Control(func(fd uintptr) { info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
	if err != nil {
		t.Fatal(err)
	}
	return info.Unacked
}

// TestAcceptedSocketsHaveNoDelay: accepted sockets inherit TCP_NODELAY from the listening
// socket (no setsockopt per connection), so a small answer is not held back by Nagle.
func TestAcceptedSocketsHaveNoDelay(t *testing.T) {
	c, _ := pair(t)
	v, err := unix.GetsockoptInt(c.fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
	if err != nil || v == 0 {
		t.Fatalf("accepted socket: TCP_NODELAY %d (%v), want it set", v, err)
	}
}
