package l4

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/l4/proxyproto"
	"github.com/fulcrum-lb/fulcrum/l4/sni"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// maxPrelude bounds what is read before forwarding: a PROXY header plus a ClientHello.
const maxPrelude = proxyproto.MaxHeaderLen + sni.MaxHelloBytes + 5*(sni.MaxHelloBytes/(1<<14)+1)

var errUntrusted = errors.New("PROXY protocol header from a peer outside trusted_proxies")

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuffer() *[]byte  { return buffers.Get().(*[]byte) }
func putBuffer(b *[]byte) { *b = (*b)[:0]; buffers.Put(b) }

// prelude learns the connection's origin: the PROXY header when the listener accepts one,
// then the ClientHello on tls listeners. Both must arrive within the client hello timeout.
// Bytes read are kept in *buf; o.pending is the part the backend must receive.
func (s *Stream) prelude(client *net.TCPConn, l *runtime.Listener, buf *[]byte) (origin, error) {
	o := origin{src: addrPort(client.RemoteAddr()), dst: addrPort(client.LocalAddr())}
	acceptProxy := l.Config.ProxyProtocol == "accept"
	if acceptProxy && !l.Trusted(o.src.Addr()) {
		return o, errUntrusted
	}
	if !acceptProxy && s.mode == TCP {
		return o, nil
	}
	client.SetReadDeadline(time.Now().Add(helloTimeout(l)))
	defer client.SetReadDeadline(time.Time{})
	start := 0
	if acceptProxy {
		n, err := readProxyHeader(client, buf, &o)
		if err != nil {
			return o, fmt.Errorf("PROXY header: %w", err)
		}
		start = n
	}
	if s.mode == TLS {
		name, err := readUntil(client, buf, start, sni.Parse, sni.ErrShort)
		if err != nil {
			return o, fmt.Errorf("ClientHello: %w", err)
		}
		o.sni = name
	}
	o.pending = (*buf)[start:]
	return o, nil
}

func helloTimeout(l *runtime.Listener) time.Duration {
	if d := l.Config.ClientHelloTimeout.Duration; d > 0 {
		return d
	}
	return 10 * time.Second
}

// readProxyHeader reads a PROXY header into buf, sets o's addresses from it unless it is a
// LOCAL/UNKNOWN header, and returns the header's length.
func readProxyHeader(client *net.TCPConn, buf *[]byte, o *origin) (int, error) {
	var h proxyproto.Header
	var n int
	parse := func(b []byte) (err error) { h, n, err = proxyproto.Parse(b); return err }
	if _, err := readUntil(client, buf, 0, func(b []byte) (struct{}, error) { return struct{}{}, parse(b) }, proxyproto.ErrShort); err != nil {
		return 0, err
	}
	if !h.Local {
		o.src, o.dst = h.Source, h.Dest
	}
	return n, nil
}

// readUntil reads from client into *buf until parse, applied to the bytes from start on,
// stops returning short. It fails when the read fails (timeout, EOF) or maxPrelude is hit.
func readUntil[T any](client *net.TCPConn, buf *[]byte, start int, parse func([]byte) (T, error), short error) (T, error) {
	for {
		if len(*buf) > start {
			v, err := parse((*buf)[start:])
			if err != short {
				return v, err
			}
		}
		if err := readMore(client, buf); err != nil {
			var zero T
			return zero, err
		}
	}
}

func readMore(client *net.TCPConn, buf *[]byte) error {
	b := *buf
	if len(b) >= maxPrelude {
		return fmt.Errorf("more than %d bytes before forwarding", maxPrelude)
	}
	if len(b) == cap(b) {
		b = append(b, make([]byte, min(cap(b), maxPrelude-len(b)))...)[:len(b)]
	}
	n, err := client.Read(b[len(b):cap(b)])
	*buf = b[:len(b)+n]
	if n > 0 {
		return nil
	}
	return err
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}

// writePreamble sends the backend what it must read first: the pool's PROXY header, if
// any, and the bytes already read from the client, in one write.
func writePreamble(b *net.TCPConn, p *runtime.Pool, o origin, buf *[]byte) error {
	var head []byte
	switch p.Config.SendProxyProtocol {
	case "v1":
		head = proxyproto.AppendV1(make([]byte, 0, 128), o.src, o.dst)
	case "v2":
		head = proxyproto.AppendV2(make([]byte, 0, 64), o.src, o.dst)
	}
	if len(head) == 0 && len(o.pending) == 0 {
		return nil
	}
	_, err := b.Write(append(head, o.pending...))
	return err
}
