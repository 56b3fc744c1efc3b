package epoll

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fulcrum-lb/fulcrum/l4/proxyproto"
	"github.com/fulcrum-lb/fulcrum/l4/sni"
	"github.com/fulcrum-lb/fulcrum/rawsock"
	"github.com/fulcrum-lb/fulcrum/route"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// The prelude is what a connection owes before it is routed: a PROXY header on listeners
// with `proxy_protocol: accept`, then a ClientHello on tls listeners. The loop reads it into
// the connection's client→backend buffer (in.pend) as it arrives, parses the whole buffer
// after each read, and gives up at the listener's client_hello_timeout (a wheel entry), at
// maxPrelude bytes, or at the first malformed byte. The bytes after the PROXY header are
// what the backend receives first. Counters and log lines are those of package l4.

// maxPrelude bounds what is read before forwarding: a PROXY header plus a ClientHello,
// with the header of each TLS record it may span.
const maxPrelude = proxyproto.MaxHeaderLen + sni.MaxHelloBytes + 5*(sni.MaxHelloBytes/(1<<14)+1)

var (
	errUntrusted = errors.New("PROXY protocol header from a peer outside trusted_proxies")
	errTooLong   = fmt.Errorf("more than %d bytes before forwarding", maxPrelude)
	errShort     = errors.New("prelude incomplete")
)

// needsProxyHeader reports whether clients of ls must start with a PROXY header.
func needsProxyHeader(ls *runtime.Listener) bool { return ls.Config.ProxyProtocol == "accept" }

// needsHello reports whether ls routes on the ClientHello.
func needsHello(ls *runtime.Listener) bool { return ls.Config.Protocol == "tls" }

// needsPrelude reports whether clients of ls owe a prelude.
func needsPrelude(ls *runtime.Listener) bool { return needsProxyHeader(ls) || needsHello(ls) }

// helloTimeout is the listener's client_hello_timeout, 10 s by default.
func helloTimeout(ls *runtime.Listener) time.Duration {
	if d := ls.Config.ClientHelloTimeout.Duration; d > 0 {
		return d
	}
	return 10 * time.Second
}

// awaitPrelude makes c wait for its prelude until the listener's client_hello_timeout.
// The client's data, already queued or still to come, is announced by an event (epoll_ctl
// ADD reports present readiness).
func (l *loop) awaitPrelude(c *conn) {
	c.phase = greeting
	l.wheel.add(c, l.now+int64(helloTimeout(c.listener)))
}

// greet reads what the client has sent; once the prelude is complete it routes c and
// queues its connect. A malformed, oversized or ended prelude closes c.
func (l *loop) greet(c *conn) {
	for c.client.readable {
		n, err := l.readPrelude(c)
		if err != nil {
			l.preludeFailed(c, err)
			return
		}
		if n == 0 {
			continue
		}
		p, _, err := parsePrelude(c.in.pend, needsProxyHeader(c.listener), needsHello(c.listener))
		switch {
		case err == errShort && len(c.in.pend) >= maxPrelude:
			l.preludeFailed(c, errTooLong)
			return
		case err == errShort:
			continue
		case err != nil:
			l.preludeFailed(c, err)
			return
		}
		l.preludeDone(c, p)
		return
	}
}

// readPrelude appends what the client has (up to maxPrelude in all) to c.in.pend and
// returns how much; io.EOF when the client ended first.
func (l *loop) readPrelude(c *conn) (int, error) {
	want := min(maxPrelude-len(c.in.pend), len(l.buf))
	if want <= 0 {
		return 0, errTooLong
	}
	n, err := rawsock.Read(c.client.fd, l.buf[:want])
	switch {
	case err == unix.EAGAIN:
		c.client.readable = false
		return 0, nil
	case err == unix.EINTR:
		return 0, nil
	case err != nil:
		return 0, err
	case n == 0:
		return 0, io.EOF
	}
	if n < want && !c.client.rdhup {
		c.client.readable = false // a short read emptied the socket
	}
	c.in.pend = append(c.in.pend, l.buf[:n]...)
	return n, nil
}

// prelude is what a complete prelude says.
type prelude struct {
	src, dst   netip.AddrPort // from the PROXY header; unset without one, or for LOCAL
	serverName string         // from the ClientHello; "" when it names none
	start      int            // where the bytes for the backend begin (after the PROXY header)
}

// parsePrelude parses b from its start. It returns errShort while b is a proper prefix of a
// valid prelude, and stage names the part being read: "PROXY header" or "ClientHello".
func parsePrelude(b []byte, proxy, hello bool) (p prelude, stage string, err error) {
	if proxy {
		h, n, err := proxyproto.Parse(b)
		if err != nil {
			return p, "PROXY header", shortOr(err, proxyproto.ErrShort)
		}
		if !h.Local {
			p.src, p.dst = h.Source, h.Dest
		}
		p.start = n
	}
	if hello {
		name, err := sni.Parse(b[p.start:])
		if err != nil {
			return p, "ClientHello", shortOr(err, sni.ErrShort)
		}
		p.serverName = name
	}
	return p, "", nil
}

func shortOr(err, short error) error {
	if err == short {
		return errShort
	}
	return err
}

// preludeDone routes c on its prelude and queues the connect; the bytes after the PROXY
// header stay in c.in.pend for the backend.
func (l *loop) preludeDone(c *conn, p prelude) {
	l.wheel.remove(c)
	if p.src.IsValid() {
		c.src, c.dst = p.src, p.dst
	}
	c.in.off = p.start
	r := l.routeFor(c.listener, p.serverName, c.src.Addr())
	if r == nil || r.Pool == nil {
		l.s.stats.refused.Add(1)
		l.s.logger.Info("l4: no route", "listener", l.s.name, "client", c.src, "sni", p.serverName)
		l.close(c)
		return
	}
	l.routeTo(c, r)
	l.dialing = append(l.dialing, c)
}

// preludeFailed counts, logs and closes a connection whose prelude failed with err (or
// did not arrive in time).
func (l *loop) preludeFailed(c *conn, err error) {
	_, stage, _ := parsePrelude(c.in.pend, needsProxyHeader(c.listener), needsHello(c.listener))
	l.s.stats.helloErrors.Add(1)
	l.s.logger.Info("l4: connection closed before forwarding", "listener", l.s.name, "client", c.src,
		"err", fmt.Errorf("%s: %w", stage, err))
	l.close(c)
}

// errHelloTimeout is a prelude's late arrival (reads as "i/o timeout", as in package l4).
var errHelloTimeout = os.ErrDeadlineExceeded

// routeFor picks ls's route: on tls listeners the first whose `sni` patterns match the
// server name (a route without `sni` matches any name, and is the only kind that matches a
// hello without one), as package l4 does; on tcp listeners the first that matches client.
func (l *loop) routeFor(ls *runtime.Listener, serverName string, client netip.Addr) *runtime.Route {
	if !needsHello(ls) {
		return ls.Route(route.Conn{Addr: client})
	}
	return ls.RouteSNI(serverName)
}
