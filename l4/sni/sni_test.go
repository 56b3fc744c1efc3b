package sni

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"testing"
)

// clientHello returns the bytes a crypto/tls client sends first for serverName.
func clientHello(t testing.TB, serverName string, maxVersion uint16) []byte {
	t.Helper()
	client, server := net.Pipe()
	defer server.Close()
	go func() {
		c := tls.Client(client, &tls.Config{ServerName: serverName, InsecureSkipVerify: true, MaxVersion: maxVersion})
		c.Handshake() // fails when server closes; only the hello matters
		client.Close()
	}()
	buf := make([]byte, 64<<10)
	n, _ := server.Read(buf) // net.Pipe delivers the whole first Write
	return buf[:n]
}

// fragment re-frames a single-record hello as handshake records of at most size bytes each.
func fragment(hello []byte, size int) []byte {
	msg := hello[recordHeaderLen:]
	var out []byte
	for len(msg) > 0 {
		n := min(size, len(msg))
		out = append(out, typeHandshake, 3, 1, byte(n>>8), byte(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

func TestParseRealHellos(t *testing.T) {
	tests := []struct {
		name       string
		serverName string
		maxVersion uint16
		want       string
	}{
		{name: "TLS 1.3", serverName: "api.example.com", maxVersion: tls.VersionTLS13, want: "api.example.com"},
		{name: "TLS 1.2", serverName: "Mixed.Case.example", maxVersion: tls.VersionTLS12, want: "Mixed.Case.example"},
		{name: "IP address sends no SNI", serverName: "127.0.0.1", maxVersion: tls.VersionTLS13, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hello := clientHello(t, tt.serverName, tt.maxVersion)
			got, err := Parse(hello)
			if err != nil || got != tt.want {
				t.Fatalf("Parse = %q, %v; want %q, nil", got, err, tt.want)
			}
			n, err := HelloLen(append(hello, "trailing"...))
			if err != nil || n != len(hello) {
				t.Fatalf("HelloLen = %d, %v; want %d, nil", n, err, len(hello))
			}
		})
	}
}

func TestParseFragmentedAcrossRecords(t *testing.T) {
	hello := clientHello(t, "frag.example.com", tls.VersionTLS13)
	for _, size := range []int{1, 3, 100} {
		framed := fragment(hello, size)
		got, err := Parse(framed)
		if err != nil || got != "frag.example.com" {
			t.Errorf("records of %d bytes: Parse = %q, %v; want frag.example.com, nil", size, got, err)
		}
	}
}

func TestParseEveryPrefixIsShort(t *testing.T) {
	hello := clientHello(t, "short.example.com", tls.VersionTLS13)
	for _, h := range [][]byte{hello, fragment(hello, 200)} {
		for i := 0; i < len(h); i++ {
			if _, err := Parse(h[:i]); err != ErrShort {
				t.Fatalf("prefix of %d/%d bytes: got %v, want ErrShort", i, len(h), err)
			}
		}
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	hello := clientHello(t, "bad.example.com", tls.VersionTLS13)
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(hello)) }
	nameAt := bytes.Index(hello, []byte("bad.example.com"))
	tests := []struct {
		name string
		data []byte
	}{
		{"HTTP request", []byte("GET / HTTP/1.1\r\n\r\n")},
		{"alert record", edit(func(b []byte) []byte { b[0] = 21; return b })},
		{"SSLv2-style version", edit(func(b []byte) []byte { b[1] = 2; return b })},
		{"empty record", []byte{22, 3, 1, 0, 0}},
		{"record over 16 KiB", []byte{22, 3, 1, 0x40, 1}},
		{"ServerHello type", edit(func(b []byte) []byte { b[5] = 2; return b })},
		{"oversized hello", []byte{22, 3, 1, 0, 4, 1, 0x01, 0, 0}},
		{"stray bytes in record", edit(func(b []byte) []byte {
			b = append(b, 0)
			b[4]++
			return b
		})},
		{"host name with space", edit(func(b []byte) []byte { b[nameAt+3] = ' '; return b })},
		{"host name with empty label", edit(func(b []byte) []byte { b[nameAt+3] = '.'; b[nameAt+4] = '.'; return b })},
		{"hello length past extensions", edit(func(b []byte) []byte {
			b = append(b, 0)
			b[4]++
			b[8]++
			return b
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, err := Parse(tt.data)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %q, %v; want an ErrMalformed error", name, err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"a.example.com", "127.0.0.1", "x"} {
		h := clientHello(f, name, tls.VersionTLS13)
		f.Add(h)
		f.Add(fragment(h, 64))
	}
	f.Add(clientHello(f, "old.example", tls.VersionTLS12))
	f.Fuzz(func(t *testing.T, data []byte) {
		name, err := Parse(data)
		if err != nil {
			if err != ErrShort && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is neither ErrShort nor ErrMalformed", err)
			}
			return
		}
		if name != "" && checkHostName([]byte(name)) != nil {
			t.Fatalf("accepted invalid host name %q", name)
		}
		n, err := HelloLen(data)
		if err != nil || n > len(data) {
			t.Fatalf("Parse accepted but HelloLen = %d, %v", n, err)
		}
		again, err := Parse(append(bytes.Clone(data[:n]), 0xff, 0xff))
		if err != nil || again != name {
			t.Fatalf("trailing bytes changed the result: %q, %v; want %q", again, err, name)
		}
	})
}
