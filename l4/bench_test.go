package l4

import (
	"io"
	"net"
	"testing"
	"time"
)

// echoBack echoes until EOF.
func echoBack(_ *backend, c net.Conn) { io.Copy(c, c) }

// BenchmarkShortConnection is bench/l4.sh's short-connection scenario on loopback: connect
// through a tcp listener, echo 16 bytes, close. Allocations count both ends of the loopback.
func BenchmarkShortConnection(b *testing.B) {
	be := startBackend(b, "b", echoBack)
	_, addr := startStream(b, TCP, tcpConfig("", poolYAML("p", "round_robin", "", be.addr())))
	msg, got := []byte("0123456789abcdef"), make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatalf("echo: got %v, want 16 bytes", err)
		}
		c.Close()
	}
}
