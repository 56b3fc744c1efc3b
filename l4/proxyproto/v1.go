package proxyproto

import (
	"bytes"
	"net/netip"
	"strconv"
)

// parseV1 reads "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n".
func parseV1(data []byte) (Header, int, error) {
	end := bytes.Index(data[:min(len(data), v1MaxLen)], []byte("\r\n"))
	if end < 0 {
		if len(data) >= v1MaxLen || bytes.IndexByte(data, '\n') >= 0 {
			return Header{}, 0, malformed("v1 line longer than %d bytes or without CRLF", v1MaxLen)
		}
		return Header{}, 0, ErrShort
	}
	line := string(data[len(v1Prefix):end])
	h, err := parseV1Fields(line)
	return h, end + 2, err
}

func parseV1Fields(line string) (Header, error) {
	if line == "UNKNOWN" || len(line) > len("UNKNOWN ") && line[:len("UNKNOWN ")] == "UNKNOWN " {
		return Header{Version: 1, Local: true}, nil
	}
	f := splitSpaces(line)
	if len(f) != 5 || (f[0] != "TCP4" && f[0] != "TCP6") {
		return Header{}, malformed("v1 line %q: want PROTO SRC DST SPORT DPORT", line)
	}
	src, err1 := v1Addr(f[1], f[3], f[0] == "TCP4")
	dst, err2 := v1Addr(f[2], f[4], f[0] == "TCP4")
	if err1 != nil || err2 != nil {
		return Header{}, malformed("v1 line %q: bad address or port", line)
	}
	return Header{Version: 1, Source: src, Dest: dst}, nil
}

// splitSpaces splits on single spaces; an empty field (double space) makes it fail.
func splitSpaces(s string) []string {
	var out []string
	for len(out) < 6 {
		i := indexByte(s, ' ')
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return out
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func v1Addr(ip, port string, v4 bool) (netip.AddrPort, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() != v4 || a.Zone() != "" {
		return netip.AddrPort{}, ErrMalformed
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || (len(port) > 1 && port[0] == '0') || port[0] == '+' {
		return netip.AddrPort{}, ErrMalformed
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// AppendV1 appends a v1 header for a connection from src to dst. Mixed or invalid address
// families give "PROXY UNKNOWN\r\n".
func AppendV1(b []byte, src, dst netip.AddrPort) []byte {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	if !s.IsValid() || !d.IsValid() || s.Is4() != d.Is4() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	proto := "TCP6 "
	if s.Is4() {
		proto = "TCP4 "
	}
	b = append(append(b, v1Prefix...), proto...)
	b = append(s.AppendTo(b), ' ')
	b = append(d.AppendTo(b), ' ')
	b = append(strconv.AppendUint(b, uint64(src.Port()), 10), ' ')
	b = strconv.AppendUint(b, uint64(dst.Port()), 10)
	return append(b, "\r\n"...)
}
