package l4

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/l4/proxyproto"
)

// proxyReader is a backend that expects a PROXY header, then answers "SRC DST payload".
func proxyReader(_ *backend, c net.Conn) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 0, 512)
	for {
		tmp := make([]byte, 512)
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		h, hn, perr := proxyproto.Parse(buf)
		if perr == nil {
			rest, _ := bufio.NewReader(io.MultiReader(bytesReader(buf[hn:]), c)).ReadString('\n')
			fmt.Fprintf(c, "v%d %v %v %s", h.Version, h.Source, h.Dest, rest)
			return
		}
		if perr != proxyproto.ErrShort || err != nil {
			fmt.Fprintf(c, "bad header: %v", perr)
			return
		}
	}
}

type bytesReader []byte

func (b bytesReader) Read(p []byte) (int, error) {
	if len(b) == 0 {
		return 0, io.EOF
	}
	return copy(p, b), io.EOF
}

func TestProxyProtocolAcceptAndSend(t *testing.T) {
	eachEngine(t, testProxyProtocolAcceptAndSend)
}

func testProxyProtocolAcceptAndSend(t *testing.T, e engine) {
	tests := []struct {
		name, recv, send, header, want string
	}{
		{name: "v1 in, v2 out", recv: "PROXY TCP4 192.0.2.10 198.51.100.1 40000 443\r\n", send: "v2",
			want: "v2 192.0.2.10:40000 198.51.100.1:443 hello\n"},
		{name: "v2 in, v1 out", recv: string(proxyproto.AppendV2(nil, addrPortOf("[2001:db8::7]:5555"), addrPortOf("[2001:db8::1]:443"))),
			send: "v1", want: "v1 [2001:db8::7]:5555 [2001:db8::1]:443 hello\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBackend(t, "b", proxyReader)
			yaml := tcpConfig("    proxy_protocol: accept\n    trusted_proxies: [127.0.0.0/8]\n",
				poolYAML("p", "round_robin", "    send_proxy_protocol: "+tt.send+"\n", b.addr()))
			_, addr := startOn(t, e, TCP, yaml)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, tt.recv+"hello\n") // header and payload in one segment
			got, _ := io.ReadAll(c)
			if string(got) != tt.want {
				t.Fatalf("backend saw %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProxyProtocolSendsRealClientWithoutAccept(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		b := startBackend(t, "b", proxyReader)
		_, addr := startOn(t, e, TCP, tcpConfig("", poolYAML("p", "round_robin", "    send_proxy_protocol: v1\n", b.addr())))
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "hi\n")
		got, _ := io.ReadAll(c)
		want := fmt.Sprintf("v1 %v %v hi\n", c.LocalAddr(), addr)
		if string(got) != want {
			t.Fatalf("backend saw %q, want %q", got, want)
		}
	})
}

func TestProxyProtocolRefusesUntrustedAndMalformed(t *testing.T) {
	eachEngine(t, testProxyProtocolRefusesUntrustedAndMalformed)
}

func testProxyProtocolRefusesUntrustedAndMalformed(t *testing.T, e engine) {
	tests := []struct {
		name, trusted, send        string
		wantRefused, wantMalformed uint64
	}{
		{name: "peer outside trusted_proxies", trusted: "[192.0.2.0/24]",
			send: "PROXY TCP4 192.0.2.10 198.51.100.1 40000 443\r\nhello\n", wantRefused: 1},
		{name: "no header", trusted: "[127.0.0.0/8]", send: "hello\n", wantMalformed: 1},
		{name: "header cut short, then EOF", trusted: "[127.0.0.0/8]", send: "PROXY TCP4 192.0.2.10", wantMalformed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBackend(t, "b", proxyReader)
			yaml := tcpConfig("    proxy_protocol: accept\n    trusted_proxies: "+tt.trusted+"\n",
				poolYAML("p", "round_robin", "", b.addr()))
			s, addr := startOn(t, e, TCP, yaml)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, tt.send)
			c.(*net.TCPConn).CloseWrite()
			if err := readsEOF(c, 3*time.Second); err != nil {
				t.Fatalf("connection: %v, want closed", err)
			}
			if n := b.conns.Load(); n != 0 {
				t.Fatalf("backend saw %d connections, want 0", n)
			}
			st := s.Stats()
			if st.Refused != tt.wantRefused || st.HelloErrors != tt.wantMalformed {
				t.Fatalf("Refused, HelloErrors = %d, %d; want %d, %d", st.Refused, st.HelloErrors, tt.wantRefused, tt.wantMalformed)
			}
		})
	}
}
