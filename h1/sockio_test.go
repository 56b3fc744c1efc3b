package h1

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// socketPair returns both ends of a loopback TCP connection.
func socketPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestSocketIOCarriesBytesBothWays(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{
		{"small", 64},
		{"larger than a socket buffer", 8 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := socketPair(t)
			want := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16)
			written := make(chan error, 1)
			go func() {
				_, err := NewSocketIO(a).Write(want)
				a.Close()
				written <- err
			}()
			got, err := io.ReadAll(NewSocketIO(b))
			if err != nil {
				t.Fatalf("got read error %v, want io.EOF at the end", err)
			}
			if err := <-written; err != nil {
				t.Fatalf("got write error %v, want none", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes, want the %d written", len(got), len(want))
			}
		})
	}
}

func TestSocketIOReadHonoursDeadline(t *testing.T) {
	_, b := socketPair(t)
	b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	n, err := NewSocketIO(b).Read(make([]byte, 16))
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got (%d, %v), want (0, a deadline error)", n, err)
	}
}

func TestSocketIOReadAfterCloseFails(t *testing.T) {
	_, b := socketPair(t)
	b.Close()
	if _, err := NewSocketIO(b).Read(make([]byte, 16)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("got %v, want net.ErrClosed", err)
	}
}

func TestSocketIOFallsBackForNonSockets(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go NewSocketIO(a).Write([]byte("hello"))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(NewSocketIO(b), buf); err != nil || string(buf) != "hello" {
		t.Fatalf("got (%q, %v), want (\"hello\", nil)", buf, err)
	}
}

func TestReadNonblockReportsAnEmptySocket(t *testing.T) {
	a, b := socketPair(t)
	raw, err := b.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	raw.Read(func(fd uintptr) bool { n, err = ReadNonblock(fd, make([]byte, 8)); return true })
	if err != ErrWouldBlock {
		t.Fatalf("empty socket: got (%d, %v), want ErrWouldBlock", n, err)
	}
	a.Write([]byte("x"))
	a.Close()
	time.Sleep(20 * time.Millisecond)
	buf := make([]byte, 8)
	raw.Read(func(fd uintptr) bool { n, err = ReadNonblock(fd, buf); return true })
	if n != 1 || err != nil {
		t.Fatalf("one byte waiting: got (%d, %v), want (1, nil)", n, err)
	}
	raw.Read(func(fd uintptr) bool { n, err = ReadNonblock(fd, buf); return true })
	if err != io.EOF {
		t.Fatalf("after the peer closed: got (%d, %v), want io.EOF", n, err)
	}
}

func TestExtendReadDeadlineIsLazy(t *testing.T) {
	a, _ := socketPair(t)
	c := &BackendConn{Conn: a}
	t0 := time.Unix(1000, 0)
	const timeout = 8 * time.Second
	for _, step := range []struct {
		name  string
		now   time.Time
		moved bool
	}{
		{"first call sets it", t0, true},
		{"within an eighth of the timeout it stays", t0.Add(time.Second), false},
		{"later it moves", t0.Add(1500 * time.Millisecond), true},
	} {
		before := c.deadline
		c.ExtendReadDeadline(step.now, timeout)
		if moved := c.deadline != before; moved != step.moved {
			t.Fatalf("%s: got moved=%v, want %v", step.name, moved, step.moved)
		}
		if left := time.Duration(c.deadline - step.now.UnixNano()); left < timeout || left > timeout+timeout/8 {
			t.Fatalf("%s: got %v left, want between %v and %v", step.name, left, timeout, timeout+timeout/8)
		}
	}
}

func TestSocketIOWriteBothSendsBothInOrder(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second int
	}{
		{"head and small body", 120, 64},
		{"empty head", 0, 4096},
		{"body larger than a socket buffer", 200, 8 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := socketPair(t)
			first, second := bytes.Repeat([]byte("h"), tc.first), bytes.Repeat([]byte("b"), tc.second)
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			go func() {
				n, err := NewSocketIO(a).WriteBoth(first, second)
				a.Close()
				done <- result{n, err}
			}()
			got, err := io.ReadAll(NewSocketIO(b))
			if err != nil {
				t.Fatalf("got read error %v, want none", err)
			}
			if r := <-done; r.err != nil || r.n != tc.first+tc.second {
				t.Fatalf("got (%d, %v), want (%d, nil)", r.n, r.err, tc.first+tc.second)
			}
			if want := append(first, second...); !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes, want the %d written, in order", len(got), len(want))
			}
		})
	}
}
