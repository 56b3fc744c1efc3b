package l4

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
)

func TestTCPEchoThroughEveryAlgorithm(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		const conns = 12
		for _, algo := range config.Algorithms {
			t.Run(algo, func(t *testing.T) {
				bs := []*backend{startBackend(t, "b0", namedEcho), startBackend(t, "b1", namedEcho), startBackend(t, "b2", namedEcho)}
				_, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", algo, "", bs[0].addr(), bs[1].addr(), bs[2].addr())))
				served := map[string]int{}
				for i := range conns {
					name, c := greet(t, addr)
					msg := fmt.Sprintf("hello %d\n", i)
					io.WriteString(c, msg)
					got := make([]byte, len(msg))
					if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
						t.Fatalf("echo: got %q, %v; want %q", got, err, msg)
					}
					c.Close()
					served[name]++
				}
				checkSpread(t, algo, served, conns)
			})
		}
	})
}

// checkSpread checks what each algorithm promises for sequential clients from one address.
func checkSpread(t *testing.T, algo string, served map[string]int, total int) {
	t.Helper()
	switch algo {
	case "round_robin":
		for _, name := range []string{"b0", "b1", "b2"} {
			if served[name] != total/3 {
				t.Errorf("round_robin: %s served %d, want %d (%v)", name, served[name], total/3, served)
			}
		}
	case "hash": // every client is 127.0.0.1: one backend
		if len(served) != 1 {
			t.Errorf("hash on source_ip: served by %v, want a single backend", served)
		}
	case "first":
		if served["b0"] != total {
			t.Errorf("first: served %v, want all %d by b0", served, total)
		}
	}
	sum := 0
	for _, n := range served {
		sum += n
	}
	if sum != total {
		t.Errorf("%s: %d connections served, want %d", algo, sum, total)
	}
}

func TestTCPHalfClose(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		// The backend reads to EOF, then answers with the byte count: the answer can only
		// arrive if the proxy forwarded the client's FIN yet kept the other direction open.
		b := startBackend(t, "b", func(_ *backend, c net.Conn) {
			n, _ := io.Copy(io.Discard, c)
			fmt.Fprintf(c, "got %d", n)
		})
		_, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", "round_robin", "", b.addr())))
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "twelve bytes")
		c.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "got 12" {
			t.Fatalf("got %q, %v; want \"got 12\", nil", got, err)
		}
	})
}

func TestTCPBackendKilledMidStream(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		for _, reset := range []bool{false, true} {
			t.Run(fmt.Sprintf("reset=%v", reset), func(t *testing.T) {
				b := startBackend(t, "b", func(_ *backend, c net.Conn) {
					io.WriteString(c, "partial\n")
					bufio.NewReader(c).ReadString('\n')
					if reset {
						c.(*net.TCPConn).SetLinger(0)
					}
				})
				_, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", "round_robin", "", b.addr())))
				name, c := greet(t, addr)
				defer c.Close()
				if name != "partial" {
					t.Fatalf("got %q, want partial", name)
				}
				io.WriteString(c, "die now\n")
				if err := readsEOF(c, 3*time.Second); err != nil {
					t.Fatalf("client connection after the backend died: %v, want closed", err)
				}
			})
		}
	})
}

func TestTCPConnectRefusedTriesNextBackend(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		good := startBackend(t, "good", namedEcho)
		s, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", "round_robin", "    retries: 1\n", deadPort(t), good.addr())))
		for range 4 {
			name, c := greet(t, addr)
			c.Close()
			if name != "good" {
				t.Fatalf("got %q, want good", name)
			}
		}
		if st := s.Stats(); st.Failed != 0 {
			t.Errorf("Failed = %d, want 0", st.Failed)
		}
	})
}

func TestTCPNoBackendClosesClient(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", "round_robin", "    retries: 1\n", deadPort(t), deadPort(t))))
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := readsEOF(c, 3*time.Second); err != nil {
			t.Fatalf("client: %v, want closed", err)
		}
		if st := s.Stats(); st.Failed != 1 {
			t.Errorf("Failed = %d, want 1", st.Failed)
		}
	})
}

func TestTCPIdleTimeout(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		b := startBackend(t, "b", namedEcho)
		_, addr := startOn(t, e, TCP, tcpConfig("    timeouts: {idle: 300ms}\n", poolYAML("p", "round_robin", "", b.addr())))
		_, c := greet(t, addr)
		defer c.Close()
		start := time.Now()
		for range 3 { // traffic keeps it open past one idle period
			time.Sleep(150 * time.Millisecond)
			io.WriteString(c, "x")
			c.Read(make([]byte, 1))
		}
		if err := readsEOF(c, 3*time.Second); err != nil {
			t.Fatalf("idle connection: %v, want closed", err)
		}
		if took := time.Since(start); took < 700*time.Millisecond {
			t.Errorf("closed after %v, want at least 450ms of traffic + 300ms idle", took)
		}
	})
}

func TestTCPListenerMaxConnectionsQueues(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		b := startBackend(t, "b", namedEcho)
		_, addr := startOn(t, e, TCP, tcpConfig("    max_connections: 1\n", poolYAML("p", "round_robin", "", b.addr())))
		_, first := greet(t, addr)
		second, err := net.Dial("tcp", addr) // the kernel completes the handshake; fulcrum does not accept yet
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		second.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := second.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
			t.Fatalf("second connection at the cap: read %d, %v; want a timeout (queued)", n, err)
		}
		first.Close()
		second.SetReadDeadline(time.Now().Add(3 * time.Second))
		line, err := bufio.NewReader(second).ReadString('\n')
		if err != nil || line != "b\n" {
			t.Fatalf("second connection after the first closed: got %q, %v; want \"b\\n\"", line, err)
		}
	})
}

func TestTCPBackendMaxConnectionsSkipsFullMember(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		capped := startBackend(t, "capped", namedEcho)
		free := startBackend(t, "free", namedEcho)
		pool := "  - name: p\n    algorithm: round_robin\n    backends:\n" +
			fmt.Sprintf("      - {address: %q, max_connections: 1}\n      - {address: %q}\n", capped.addr(), free.addr())
		_, addr := startOn(t, e, TCP, tcpConfig("", pool))
		served := map[string]int{}
		for range 6 {
			name, c := greet(t, addr)
			defer c.Close()
			served[name]++
		}
		if served["capped"] != 1 || served["free"] != 5 {
			t.Fatalf("6 held connections: got %v, want capped:1 free:5", served)
		}
	})
}

func TestTCPShutdownDrainsThenCloses(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		b := startBackend(t, "b", namedEcho)
		s, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", "round_robin", "", b.addr())))
		_, c := greet(t, addr)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown with a connection open: got %v, want DeadlineExceeded", err)
		}
		if err := readsEOF(c, 2*time.Second); err != nil {
			t.Fatalf("connection after the drain: %v, want closed", err)
		}
		if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			t.Fatalf("dial after Shutdown succeeded, want refused")
		}
	})
}

// TestTCPStopAcceptingIsDoneWhenItReturns: once StopAccepting returns, a client of the socket
// that the service shares with a successor (a reload's handover) is the successor's, and the
// connection the service serves goes on.
func TestTCPStopAcceptingIsDoneWhenItReturns(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		b := startBackend(t, "b", namedEcho)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		successor := sharedListener(t, ln)
		s := e.build(TCP, snapshotOf(t, tcpConfig("", poolYAML("p", "round_robin", "", b.addr()))))
		go s.Serve(ln)
		t.Cleanup(func() { s.Shutdown(t.Context()) })
		addr := ln.Addr().String()
		_, c := greet(t, addr)
		defer c.Close()
		s.(interface{ StopAccepting() }).StopAccepting()
		accepted := s.Stats().Accepted
		late, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer late.Close()
		successor.SetDeadline(time.Now().Add(2 * time.Second))
		if sc, err := successor.Accept(); err != nil {
			t.Fatalf("the successor did not get the client that came after StopAccepting: %v", err)
		} else {
			sc.Close()
		}
		if got := s.Stats().Accepted; got != accepted {
			t.Fatalf("the service accepted %d clients after StopAccepting", got-accepted)
		}
		fmt.Fprintf(c, "still here\n")
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "still here\n" {
			t.Fatalf("open connection after StopAccepting: %q, %v", line, err)
		}
	})
}

// sharedListener returns a second listener on ln's socket, as a reload's successor has.
func sharedListener(t *testing.T, ln net.Listener) *net.TCPListener {
	t.Helper()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

func TestTCPBulkBothWaysThenHalfClose(t *testing.T) {
	// 4 MiB each way takes the splice path (a read that fills the small-chunk buffer); the
	// backend echoes, and after the client's FIN reports how many bytes it received.
	const size = 4 << 20
	b := startBackend(t, "b", func(_ *backend, c net.Conn) {
		n, _ := io.Copy(c, c)
		fmt.Fprintf(c, "|%d", n)
	})
	eachEngine(t, func(t *testing.T, e engine) {
		_, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", "round_robin", "", b.addr())))
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		sent := make([]byte, size)
		for i := range sent {
			sent[i] = byte(i * 7 / 3)
		}
		go func() { c.Write(sent); c.(*net.TCPConn).CloseWrite() }()
		got, err := io.ReadAll(c)
		want := string(sent) + fmt.Sprintf("|%d", size)
		if err != nil || string(got) != want {
			t.Fatalf("got %d bytes (%v), equal=%v; want %d bytes echoed then |%d", len(got), err, string(got) == want, size, size)
		}
	})
}
