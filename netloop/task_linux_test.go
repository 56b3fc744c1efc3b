package netloop

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/loopback"
)

// runTask starts f as a task on a fresh accepted Conn and returns the peer and a channel that
// receives f's result.
func runTask(t *testing.T, f func(c *Conn) error) (net.Conn, <-chan error) {
	t.Helper()
	c, peer := pair(t)
	done := make(chan error, 1)
	if !Start(c, func() { done <- f(c) }) {
		t.Fatal("Start refused a *Conn")
	}
	return peer, done
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the task did not finish")
		return nil
	}
}

func TestTaskWaitsAndIsResumedByTheLoop(t *testing.T) {
	peer, done := runTask(t, func(c *Conn) error {
		for range 50 { // echo 50 messages, each one waited for
			b := make([]byte, 5)
			if _, err := io.ReadFull(c, b); err != nil {
				return err
			}
			if _, err := c.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range 50 {
		msg := []byte{'m', 's', 'g', byte('0' + i/10), byte('0' + i%10)}
		peer.Write(msg)
		got := make([]byte, 5)
		if _, err := io.ReadFull(peer, got); err != nil || string(got) != string(msg) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
	}
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestParkedTaskSeesDeadlineAndClose(t *testing.T) {
	_, done := runTask(t, func(c *Conn) error {
		c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		return err
	})
	if err := result(t, done); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("parked task's read past its deadline: %v", err)
	}
	var conn *Conn
	ready := make(chan struct{})
	_, done = runTask(t, func(c *Conn) error {
		conn = c
		close(ready)
		_, err := c.Read(make([]byte, 1))
		return err
	})
	<-ready
	time.Sleep(20 * time.Millisecond) // parked by now
	conn.Close()
	if err := result(t, done); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("parked task's read after Close: %v", err)
	}
}

func TestDetachedTaskGoesOnAsAGoroutine(t *testing.T) {
	peer, done := runTask(t, func(c *Conn) error {
		Detach(c)
		if c.task.Load().active() {
			return errors.New("still active after Detach")
		}
		// Two goroutines wait on the connection at once, as a tunnel does.
		echoed := make(chan error, 1)
		go func() { _, err := c.Write([]byte("ping")); echoed <- err }()
		b := make([]byte, 4)
		if _, err := io.ReadFull(c, b); err != nil {
			return err
		}
		return <-echoed
	})
	got := make([]byte, 4)
	io.ReadFull(peer, got)
	peer.Write([]byte("pong"))
	if err := result(t, done); err != nil || string(got) != "ping" {
		t.Fatalf("detached task: %q, %v", got, err)
	}
}

func TestDialFromATaskIsBoundToIt(t *testing.T) {
	echo := loopback.TCPEcho(t)
	_, done := runTask(t, func(c *Conn) error {
		d := Dialer{Poller: c.p, Timeout: time.Second}
		bc, err := d.DialContext(Context(c), "tcp", echo)
		if err != nil {
			return err
		}
		defer bc.Close()
		if bc.(*Conn).task.Load() != c.task.Load() {
			return errors.New("the dialed connection is not bound to the task")
		}
		bc.Write([]byte("hi"))
		b := make([]byte, 2)
		_, err = io.ReadFull(bc, b)
		return err
	})
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	if ctx := Context(&net.TCPConn{}); ctx != context.Background() {
		t.Fatal("Context of a plain connection is not Background")
	}
}

func TestDialByNameDetachesTheTask(t *testing.T) {
	_, port, _ := net.SplitHostPort(loopback.TCPEcho(t))
	_, done := runTask(t, func(c *Conn) error {
		d := Dialer{Poller: c.p, Timeout: time.Second}
		bc, err := d.DialContext(Context(c), "tcp", net.JoinHostPort("localhost", port))
		if err != nil {
			return err
		}
		bc.Close()
		if c.task.Load().active() {
			return errors.New("a dial the loop cannot wait for left the task on the loop")
		}
		return nil
	})
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}
