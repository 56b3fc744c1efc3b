package proxyproto

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

var (
	src4 = netip.MustParseAddrPort("192.0.2.10:40000")
	dst4 = netip.MustParseAddrPort("198.51.100.1:443")
	src6 = netip.MustParseAddrPort("[2001:db8::1]:5000")
	dst6 = netip.MustParseAddrPort("[2001:db8::2]:80")
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		write    func([]byte, netip.AddrPort, netip.AddrPort) []byte
		src, dst netip.AddrPort
		want     Header
	}{
		{"v1 IPv4", AppendV1, src4, dst4, Header{Version: 1, Source: src4, Dest: dst4}},
		{"v1 IPv6", AppendV1, src6, dst6, Header{Version: 1, Source: src6, Dest: dst6}},
		{"v1 mixed families", AppendV1, src4, dst6, Header{Version: 1, Local: true}},
		{"v2 IPv4", AppendV2, src4, dst4, Header{Version: 2, Source: src4, Dest: dst4}},
		{"v2 IPv6", AppendV2, src6, dst6, Header{Version: 2, Source: src6, Dest: dst6}},
		{"v2 mapped IPv4", AppendV2, netip.AddrPortFrom(netip.MustParseAddr("::ffff:192.0.2.10"), 40000), dst4,
			Header{Version: 2, Source: src4, Dest: dst4}},
		{"v2 mixed families", AppendV2, src4, dst6, Header{Version: 2, Local: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.write(nil, tt.src, tt.dst)
			payload := append(bytes.Clone(b), "payload"...)
			got, n, err := Parse(payload)
			if err != nil || got != tt.want || n != len(b) {
				t.Fatalf("Parse = %+v, %d, %v; want %+v, %d, nil", got, n, err, tt.want, len(b))
			}
			for i := range len(b) {
				if _, _, err := Parse(b[:i]); err != ErrShort {
					t.Fatalf("prefix %d/%d: got %v, want ErrShort", i, len(b), err)
				}
			}
		})
	}
}

func TestParseV1Text(t *testing.T) {
	got, n, err := Parse([]byte("PROXY TCP4 192.0.2.10 198.51.100.1 40000 443\r\nGET /"))
	want := Header{Version: 1, Source: src4, Dest: dst4}
	if err != nil || got != want || n != 46 {
		t.Fatalf("got %+v, %d, %v; want %+v, 46, nil", got, n, err, want)
	}
	if got, _, err := Parse([]byte("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")); err != nil || !got.Local {
		t.Fatalf("UNKNOWN: got %+v, %v; want Local", got, err)
	}
}

func TestParseV2LocalWithTLVs(t *testing.T) {
	b := append(bytes.Clone(v2Signature), 0x20, 0x11, 0, 15)
	b = append(b, make([]byte, 12)...)
	b = append(b, 0x04, 0, 0) // a NOOP TLV, skipped
	got, n, err := Parse(b)
	if err != nil || !got.Local || n != len(b) {
		t.Fatalf("got %+v, %d, %v; want Local, %d, nil", got, n, err, len(b))
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	v2 := func(verCmd, fam byte, n int) []byte {
		b := append(bytes.Clone(v2Signature), verCmd, fam, byte(n>>8), byte(n))
		return append(b, make([]byte, n)...)
	}
	tests := []struct {
		name string
		data string
	}{
		{"no header", "GET / HTTP/1.1\r\n"},
		{"TLS instead", "\x16\x03\x01\x00\x10"},
		{"v1 lowercase proto", "PROXY tcp4 192.0.2.10 198.51.100.1 40000 443\r\n"},
		{"v1 IPv6 under TCP4", "PROXY TCP4 2001:db8::1 198.51.100.1 40000 443\r\n"},
		{"v1 double space", "PROXY TCP4  192.0.2.10 198.51.100.1 40000 443\r\n"},
		{"v1 port out of range", "PROXY TCP4 192.0.2.10 198.51.100.1 70000 443\r\n"},
		{"v1 leading zero port", "PROXY TCP4 192.0.2.10 198.51.100.1 040 443\r\n"},
		{"v1 extra field", "PROXY TCP4 192.0.2.10 198.51.100.1 40000 443 9\r\n"},
		{"v1 bare LF", "PROXY TCP4 192.0.2.10 198.51.100.1 40000 443\n"},
		{"v1 too long", "PROXY TCP4 " + string(bytes.Repeat([]byte("1"), 120)) + "\r\n"},
		{"v2 version 1", string(v2(0x10, 0x11, 12))},
		{"v2 command 2", string(v2(0x22, 0x11, 12))},
		{"v2 family 4", string(v2(0x21, 0x41, 12))},
		{"v2 short IPv4 block", string(v2(0x21, 0x11, 8))},
		{"v2 short IPv6 block", string(v2(0x21, 0x21, 12))},
		{"v2 oversized", string(v2(0x21, 0x11, MaxHeaderLen))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, err := Parse([]byte(tt.data))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %+v, %v; want an ErrMalformed error", h, err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(AppendV1(nil, src4, dst4))
	f.Add(AppendV1(nil, src6, dst6))
	f.Add(AppendV2(nil, src4, dst4))
	f.Add(AppendV2(nil, src6, dst6))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, n, err := Parse(data)
		if err != nil {
			if err != ErrShort && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is neither ErrShort nor ErrMalformed", err)
			}
			return
		}
		if n <= 0 || n > len(data) || n > MaxHeaderLen {
			t.Fatalf("consumed %d of %d bytes", n, len(data))
		}
		s, d := h.Source.Addr().Unmap(), h.Dest.Addr().Unmap()
		if h.Local || s.Is4() != d.Is4() {
			return // re-encoding would give UNKNOWN/LOCAL, by design
		}
		unmap := func(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }
		write := AppendV1
		if h.Version == 2 {
			write = AppendV2
		}
		again, _, err := Parse(write(nil, h.Source, h.Dest))
		if err != nil || again.Source != unmap(h.Source) || again.Dest != unmap(h.Dest) {
			t.Fatalf("re-encoding %+v gave %+v, %v", h, again, err)
		}
	})
}
