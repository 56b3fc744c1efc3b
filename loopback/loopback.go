// Package loopback holds test fixtures: real servers on 127.0.0.1 that a test starts and
// that stop when the test ends. Tests across fulcrum use them instead of writing their own.
package loopback

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"
)

// TCPEcho runs a TCP echo server (it half-closes after the client does) and returns its
// address.
func TCPEcho(t testing.TB) string {
	t.Helper()
	ln := Listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// UDPEcho runs a UDP echo server and returns its address.
func UDPEcho(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().String()
}

// Listen returns a TCP listener on a free loopback port, closed when the test ends: plain TCP,
// as fulcrum's own listeners are (server.ListenConfig), not Go's default Multipath TCP.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// ClosedPort returns a loopback address nothing listens on (a port just released).
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// ClientHello returns the first flight a TLS client sends for serverName (its ClientHello
// record), for tests of SNI routing.
func ClientHello(t testing.TB, serverName string) []byte {
	t.Helper()
	client, server := net.Pipe()
	defer server.Close()
	go func() {
		tls.Client(client, &tls.Config{ServerName: serverName}).Handshake()
		client.Close()
	}()
	buf := make([]byte, 4096)
	n, err := server.Read(buf)
	if err != nil {
		t.Fatalf("reading the ClientHello: %v", err)
	}
	return buf[:n]
}
