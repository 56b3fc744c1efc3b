package l4

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/l4/epoll"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// snapshotOf parses a YAML configuration and returns a snapshot source serving it.
func snapshotOf(t testing.TB, yaml string) Snapshots {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	rt := runtime.New(quiet)
	t.Cleanup(rt.Close)
	if _, err := rt.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return rt.Snapshot
}

// service is what the tests drive: a Stream, or another engine's service.
type service interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	Stats() Stats
}

// engine builds the service for listener "front"; every tcp and tls test runs on each
// engine (the epoll engine reads the mode from the listener's protocol).
type engine struct {
	name      string
	supported bool
	build     func(mode Mode, snaps Snapshots) service
}

var (
	netpollEngine = engine{name: "netpoll", supported: true, build: func(mode Mode, snaps Snapshots) service {
		return NewStream("front", mode, snaps, quiet)
	}}
	epollEngine = engine{name: "epoll", supported: epoll.Supported, build: func(_ Mode, snaps Snapshots) service {
		return epollService{epoll.New("front", epoll.Snapshots(snaps), quiet)}
	}}
	engines = []engine{netpollEngine, epollEngine}
)

// epollService gives the epoll engine's counters this package's Stats type.
type epollService struct{ *epoll.Stream }

func (e epollService) Stats() Stats { return Stats(e.Stream.Stats()) }

// eachEngine runs test as a subtest per engine that this system supports.
func eachEngine(t *testing.T, test func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			if !e.supported {
				t.Skipf("engine %s is not supported here", e.name)
			}
			test(t, e)
		})
	}
}

// startStream serves listener "front" of yaml on a loopback port with the default engine
// and returns its address.
func startStream(t testing.TB, mode Mode, yaml string) (service, string) {
	t.Helper()
	return startOn(t, netpollEngine, mode, yaml)
}

// startOn is startStream on engine e.
func startOn(t testing.TB, e engine, mode Mode, yaml string) (service, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := e.build(mode, snapshotOf(t, yaml))
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, ln.Addr().String()
}

// backend is a loopback TCP server started by a test.
type backend struct {
	name  string
	ln    net.Listener
	conns atomic.Int64 // accepted so far
}

func (b *backend) addr() string { return b.ln.Addr().String() }

// startBackend runs serve for every connection; it stops when the test ends.
func startBackend(t testing.TB, name string, serve func(b *backend, c net.Conn)) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.conns.Add(1)
			go func() { defer c.Close(); serve(b, c) }()
		}
	}()
	return b
}

// namedEcho greets with its name and a newline, then echoes until EOF.
func namedEcho(b *backend, c net.Conn) {
	fmt.Fprintf(c, "%s\n", b.name)
	io.Copy(c, c)
}

// deadPort returns a loopback address nothing listens on.
func deadPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// greet connects to addr and returns the backend's name line and the connection.
func greet(t testing.TB, addr string) (string, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		t.Fatalf("reading the backend's name: %v", err)
	}
	return strings.TrimSpace(line), c
}

// poolYAML writes a pool named name over addrs with extra settings.
func poolYAML(name, algorithm, extra string, addrs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    algorithm: %s\n%s    backends:\n", name, algorithm, extra)
	for _, a := range addrs {
		fmt.Fprintf(&b, "      - address: %q\n", a)
	}
	return b.String()
}

// tcpConfig is a tcp listener "front" with one default route to pool "p".
func tcpConfig(listenerExtra, pool string) string {
	return "listeners:\n  - name: front\n    protocol: tcp\n    listen: 127.0.0.1:0\n" + listenerExtra +
		"    routes:\n      - pool: p\npools:\n" + pool
}

// readsEOF reports whether c reaches EOF or an error within d (rather than hanging).
func readsEOF(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return fmt.Errorf("still open after %v", d)
	}
	return nil
}

func addrPortOf(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
