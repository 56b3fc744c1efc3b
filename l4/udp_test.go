package l4

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
)

// udpBackend answers every datagram with its name.
func udpBackend(t *testing.T, name string) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(name), from)
		}
	}()
	return pc.LocalAddr().String()
}

func startDatagram(t *testing.T, yaml string) (*Datagram, string) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDatagram("front", snapshotOf(t, yaml), quiet)
	go d.Serve(pc)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		d.Shutdown(ctx)
	})
	return d, pc.LocalAddr().String()
}

func udpConfig(listenerExtra, pool string) string {
	return "listeners:\n  - name: front\n    protocol: udp\n    listen: 127.0.0.1:0\n" + listenerExtra +
		"    routes:\n      - pool: p\npools:\n" + pool
}

// ask sends one datagram from c and returns the reply.
func ask(t *testing.T, c net.Conn, msg string) string {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	return string(buf[:n])
}

func TestUDPThousandClientsEveryAlgorithm(t *testing.T) {
	const clients = 1000
	for _, algo := range config.Algorithms {
		t.Run(algo, func(t *testing.T) {
			b0, b1, b2 := udpBackend(t, "b0"), udpBackend(t, "b1"), udpBackend(t, "b2")
			d, addr := startDatagram(t, udpConfig("", poolYAML("p", algo, "", b0, b1, b2)))
			served := map[string]int{}
			conns := make([]net.Conn, clients)
			for i := range conns {
				c, err := net.Dial("udp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns[i] = c
				served[ask(t, c, "hi")]++
			}
			for _, c := range conns[:10] { // a session stays on its backend
				if first, again := ask(t, c, "again"), ask(t, c, "again"); first != again {
					t.Fatalf("one session answered by %s then %s", first, again)
				}
			}
			checkUDPSpread(t, algo, served, clients)
			if st := d.Stats(); st.Sessions != clients || st.Active != clients {
				t.Errorf("sessions created %d, active %d; want %d and %d", st.Sessions, st.Active, clients, clients)
			}
		})
	}
}

// checkUDPSpread checks each algorithm's promise for 1000 concurrent sessions from 127.0.0.1.
func checkUDPSpread(t *testing.T, algo string, served map[string]int, total int) {
	t.Helper()
	even := func(slack int) {
		for _, name := range []string{"b0", "b1", "b2"} {
			if n := served[name]; n < total/3-slack || n > total/3+1+slack {
				t.Errorf("%s: %s has %d sessions, want %d±%d (%v)", algo, name, n, total/3, slack, served)
			}
		}
	}
	switch algo {
	case "round_robin", "least_connections":
		even(0) // sessions stay open, so least connections fills evenly too
	case "power_of_two":
		even(15)
	case "random":
		even(100)
	case "hash", "first":
		if len(served) != 1 || (algo == "first" && served["b0"] != total) {
			t.Errorf("%s: got %v, want every session on one backend (b0 for first)", algo, served)
		}
	default:
		checkSpread(t, algo, served, total)
	}
}

func TestUDPSessionsExpireAndHashKeepsClient(t *testing.T) {
	b0, b1, b2 := udpBackend(t, "b0"), udpBackend(t, "b1"), udpBackend(t, "b2")
	d, addr := startDatagram(t, udpConfig("    session_idle: 200ms\n", poolYAML("p", "hash", "    hash_on: source_ip\n", b0, b1, b2)))
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before := ask(t, c, "one")
	waitFor(t, 3*time.Second, func() bool { return d.Stats().Active == 0 })
	if after := ask(t, c, "two"); after != before {
		t.Fatalf("after expiry the client moved from %s to %s; want the same backend", before, after)
	}
	if st := d.Stats(); st.Sessions != 2 {
		t.Fatalf("sessions created = %d, want 2 (one expired, one new)", st.Sessions)
	}
}

func TestUDPSessionCap(t *testing.T) {
	b0 := udpBackend(t, "b0")
	d, addr := startDatagram(t, udpConfig("    max_sessions: 2\n", poolYAML("p", "round_robin", "", b0)))
	for range 2 {
		c, _ := net.Dial("udp", addr)
		defer c.Close()
		ask(t, c, "x")
	}
	c, _ := net.Dial("udp", addr)
	defer c.Close()
	c.Write([]byte("over the cap"))
	waitFor(t, 3*time.Second, func() bool { return d.Stats().Dropped == 1 })
	if st := d.Stats(); st.Active != 2 {
		t.Fatalf("active sessions = %d, want 2", st.Active)
	}
}

func TestUDPLargeDatagram(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // echoes the datagram back
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 64<<10)
		n, from, _ := pc.ReadFrom(buf)
		pc.WriteTo(buf[:n], from)
	}()
	_, addr := startDatagram(t, udpConfig("", poolYAML("p", "round_robin", "", pc.LocalAddr().String())))
	c, _ := net.Dial("udp", addr)
	defer c.Close()
	msg := make([]byte, 60000)
	for i := range msg {
		msg[i] = byte(i)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write(msg)
	got := make([]byte, 70000)
	n, err := c.Read(got)
	if err != nil || n != len(msg) || string(got[:n]) != string(msg) {
		t.Fatalf("echo of %d bytes: got %d bytes, %v", len(msg), n, err)
	}
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
