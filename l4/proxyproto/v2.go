package proxyproto

import (
	"encoding/binary"
	"net/netip"
)

const (
	v2Version   = 0x20
	cmdLocal    = 0x0
	cmdProxy    = 0x1
	famUnspec   = 0x0
	famInet     = 0x1
	famInet6    = 0x2
	famUnix     = 0x3
	protoStream = 0x1
	protoDgram  = 0x2
	inetLen     = 12
	inet6Len    = 36
	unixLen     = 216
)

// parseV2 reads the 16-byte binary header, its address block, and skips TLVs.
func parseV2(data []byte) (Header, int, error) {
	if len(data) < v2HdrLen {
		return Header{}, 0, ErrShort
	}
	verCmd, fam := data[12], data[13]
	n := int(binary.BigEndian.Uint16(data[14:16]))
	if err := checkV2Head(verCmd, fam, n); err != nil {
		return Header{}, 0, err
	}
	if len(data) < v2HdrLen+n {
		return Header{}, 0, ErrShort
	}
	h, err := v2Addresses(verCmd&0xf, fam, data[v2HdrLen:v2HdrLen+n])
	return h, v2HdrLen + n, err
}

func checkV2Head(verCmd, fam byte, n int) error {
	if verCmd&0xf0 != v2Version {
		return malformed("v2 version %#x, want 0x2", verCmd>>4)
	}
	if cmd := verCmd & 0xf; cmd != cmdLocal && cmd != cmdProxy {
		return malformed("v2 command %#x, want LOCAL or PROXY", cmd)
	}
	if af, tp := fam>>4, fam&0xf; af > famUnix || tp > protoDgram || (af == famUnspec) != (tp == 0) {
		return malformed("v2 family/protocol %#x", fam)
	}
	if v2HdrLen+n > MaxHeaderLen {
		return malformed("v2 header of %d bytes exceeds %d", v2HdrLen+n, MaxHeaderLen)
	}
	return nil
}

func v2Addresses(cmd, fam byte, block []byte) (Header, error) {
	need := addressLen(fam >> 4)
	if len(block) < need {
		return Header{}, malformed("v2 address block of %d bytes, want at least %d", len(block), need)
	}
	if cmd == cmdLocal || fam>>4 == famUnspec || fam>>4 == famUnix {
		return Header{Version: 2, Local: true}, nil
	}
	if fam>>4 == famInet {
		s, d := netip.AddrFrom4([4]byte(block[0:4])), netip.AddrFrom4([4]byte(block[4:8]))
		return Header{Version: 2, Source: ports(s, block[8:]), Dest: ports(d, block[10:])}, nil
	}
	s, d := netip.AddrFrom16([16]byte(block[0:16])), netip.AddrFrom16([16]byte(block[16:32]))
	return Header{Version: 2, Source: ports(s, block[32:]), Dest: ports(d, block[34:])}, nil
}

func addressLen(af byte) int {
	switch af {
	case famInet:
		return inetLen
	case famInet6:
		return inet6Len
	case famUnix:
		return unixLen
	}
	return 0
}

func ports(a netip.Addr, b []byte) netip.AddrPort {
	return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b))
}

// AppendV2 appends a v2 PROXY (stream) header for a connection from src to dst, with no
// TLVs. Mixed or invalid families give a LOCAL header, which tells the receiver to use the
// connection's own addresses.
func AppendV2(b []byte, src, dst netip.AddrPort) []byte {
	b = append(b, v2Signature...)
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	switch {
	case !s.IsValid() || !d.IsValid() || s.Is4() != d.Is4():
		return append(b, v2Version|cmdLocal, famUnspec, 0, 0)
	case s.Is4():
		s4, d4 := s.As4(), d.As4()
		b = append(b, v2Version|cmdProxy, famInet<<4|protoStream, 0, inetLen)
		b = append(append(b, s4[:]...), d4[:]...)
	default:
		s16, d16 := s.As16(), d.As16()
		b = append(b, v2Version|cmdProxy, famInet6<<4|protoStream, 0, inet6Len)
		b = append(append(b, s16[:]...), d16[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, src.Port())
	return binary.BigEndian.AppendUint16(b, dst.Port())
}
