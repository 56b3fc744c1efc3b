package epoll

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/fulcrum-lb/fulcrum/l4/proxyproto"
	"github.com/fulcrum-lb/fulcrum/l4/sni"
	"github.com/fulcrum-lb/fulcrum/loopback"
)

func TestParsePreludeTellsShortFromDoneFromBad(t *testing.T) {
	hello := loopback.ClientHello(t, "api.example.com")
	src, dst := netip.MustParseAddrPort("192.0.2.10:40000"), netip.MustParseAddrPort("198.51.100.1:443")
	header := proxyproto.AppendV1(nil, src, dst)
	withHeader := append(append([]byte{}, header...), hello...)
	tests := []struct {
		name         string
		in           []byte
		proxy, hello bool
		wantErr      error // errShort, a parser's ErrMalformed, or nil
		wantStage    string
		wantName     string
		wantStart    int
		wantSrc      netip.AddrPort
	}{
		{name: "nothing yet", in: nil, proxy: true, hello: true, wantErr: errShort, wantStage: "PROXY header"},
		{name: "header only", in: header, proxy: true, hello: true, wantErr: errShort, wantStage: "ClientHello"},
		{name: "header and half a hello", in: withHeader[:len(header)+len(hello)/2], proxy: true, hello: true,
			wantErr: errShort, wantStage: "ClientHello"},
		{name: "header and hello", in: withHeader, proxy: true, hello: true, wantName: "api.example.com",
			wantStart: len(header), wantSrc: src},
		{name: "header, tcp listener", in: append(header, "payload"...), proxy: true, wantStart: len(header), wantSrc: src},
		{name: "hello, no PROXY", in: hello, hello: true, wantName: "api.example.com"},
		{name: "plain HTTP where a hello belongs", in: []byte("GET / HTTP/1.1\r\n\r\n"), hello: true,
			wantErr: sni.ErrMalformed, wantStage: "ClientHello"},
		{name: "no PROXY header", in: []byte("hello\n"), proxy: true, wantErr: proxyproto.ErrMalformed, wantStage: "PROXY header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, stage, err := parsePrelude(tt.in, tt.proxy, tt.hello)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if stage != tt.wantStage {
				t.Errorf("stage = %q, want %q", stage, tt.wantStage)
			}
			if err == nil && (p.serverName != tt.wantName || p.start != tt.wantStart || p.src != tt.wantSrc) {
				t.Errorf("got name %q, start %d, src %v; want %q, %d, %v", p.serverName, p.start, p.src,
					tt.wantName, tt.wantStart, tt.wantSrc)
			}
		})
	}
}
