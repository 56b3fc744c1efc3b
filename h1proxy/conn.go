package h1proxy

import (
	"bytes"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/h1"
)

// Client-side defaults, the same as package l7's.
const (
	defaultReadHeader = 10 * time.Second
	defaultClientIdle = 90 * time.Second
)

// Connection states, for Shutdown: an idle connection may be closed at once.
const (
	stateActive int32 = iota
	stateIdle
	stateClosed
)

// clientConn is one client connection. Its goroutine owns every field but state, which
// Shutdown reads and swaps.
type clientConn struct {
	s      *Server
	c      net.Conn
	sock   *h1.SocketIO    // &sockIO
	sockIO h1.SocketIO     // reads and writes c
	raw    syscall.RawConn // nil when c is not a socket: then buffers are kept while idle
	src    source
	bufs   *buffers // nil while idle
	state  atomic.Int32
	peer   netip.Addr
	peerIP []byte // peer address as text, for X-Forwarded-For (in peerIPBuf)

	peerIPBuf [48]byte

	req     h1.Request
	resp    h1.Response
	view    requestView
	bal     balance.Request
	tried   [8]int
	reqBody h1.ChunkedReader
	rspBody h1.ChunkedReader
	cw      h1.ChunkedWriter
	// backendBody reads the response body being relayed.
	backendBody backendReader
	fw          h1.Forwarding
	rdl         lazyDeadline
	lastNow     time.Time

	waitFn  func(fd uintptr) bool // cc.readReady, bound once
	waitErr error
	fresh   bool  // no request read yet
	bodyOut int64 // response body bytes (with chunk framing) relayed for the current request
}

// clientConns keeps finished connections' structures for new ones: a short connection then
// costs no allocation here.
var clientConns = sync.Pool{New: func() any { return new(clientConn) }}

func newClientConn(s *Server, c net.Conn) *clientConn {
	cc := clientConns.Get().(*clientConn)
	cc.reset(s, c)
	return cc
}

// reset readies cc for connection c: every field is zeroed but the socket reader and the bound
// function, which point into cc itself and are kept to save their allocations.
func (cc *clientConn) reset(s *Server, c net.Conn) {
	sockIO, waitFn := cc.sockIO, cc.waitFn
	*cc = clientConn{s: s, c: c, fresh: true, sockIO: sockIO, waitFn: waitFn}
	if cc.waitFn == nil {
		cc.waitFn = cc.readReady
	}
	cc.sockIO.Reset(c)
	cc.sock = &cc.sockIO
	cc.src = source{sock: cc.sock, rawFD: -1}
	if sc, ok := c.(syscall.Conn); ok {
		cc.raw, _ = sc.SyscallConn()
	}
	if ap, ok := remoteAddrPort(c); ok {
		cc.peer = ap.Addr().Unmap()
		cc.peerIP = cc.peer.AppendTo(cc.peerIPBuf[:0])
	}
	cc.view.req = &cc.req
	cc.fw = h1.Forwarding{Via: via, ClientIP: cc.peerIP, Proto: "http"}
	cc.lastNow = time.Now()
}

// via is the Via field fulcrum adds on an HTTP/1.1 listener.
const via = "1.1 fulcrum"

// forwarding sets, for the request just read, which fields are added to what is forwarded
// (the listener's forwarding_headers).
func (cc *clientConn) forwarding(l *config.Listener) {
	cc.fw.Via = ""
	if l.AddsVia() {
		cc.fw.Via = via
	}
	cc.fw.PassXForwarded = !l.AddsXForwarded()
}

// remoteAddrPort reads a connection's peer address, without allocating when the connection
// can give it as a netip.AddrPort (netloop.Conn).
func remoteAddrPort(c net.Conn) (netip.AddrPort, bool) {
	if a, ok := c.(interface{ RemoteAddrPort() netip.AddrPort }); ok {
		return a.RemoteAddrPort(), true
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap, err == nil
}

// serve answers requests until the client leaves, an error ends the connection, or the
// server shuts down.
func (cc *clientConn) serve() {
	defer cc.finish()
	for cc.awaitRequest() && cc.serveRequest() && !cc.s.closing.Load() {
	}
}

func (cc *clientConn) finish() {
	cc.state.Store(stateClosed)
	cc.c.Close()
	cc.releaseBuffers()
	cc.s.forget(cc)
	cc.c, cc.s = nil, nil
	cc.sockIO.Reset(nil)
	clientConns.Put(cc)
}

func (cc *clientConn) takeBuffers() {
	if cc.bufs == nil {
		cc.s.buffered.Add(1)
		cc.bufs = bufferPool.Get().(*buffers)
		cc.bufs.in.Reset(&cc.src)
	}
}

func (cc *clientConn) releaseBuffers() {
	if cc.bufs != nil {
		cc.bufs.in.Reset(nil)
		cc.bufs.out = cc.bufs.out[:0]
		bufferPool.Put(cc.bufs)
		cc.bufs = nil
		cc.s.buffered.Add(-1)
	}
}

// awaitRequest returns once request bytes are buffered, or false when the connection should
// end. A connection with nothing buffered gives its buffers back while it waits.
func (cc *clientConn) awaitRequest() bool {
	if cc.bufs != nil && cc.bufs.in.Buffered() > 0 {
		return true
	}
	cc.rdl.extend(cc.c, cc.lastNow, cc.timeouts().idle)
	if cc.fresh {
		// A new connection stays active until its first request: Shutdown waits for that
		// request (answered with Connection: close) instead of closing a connection the
		// client has only just opened, which would lose the request.
		cc.fresh = false
		return cc.waitReadable() == nil
	}
	if !cc.state.CompareAndSwap(stateActive, stateIdle) || cc.s.closing.Load() {
		return false
	}
	yieldBeforeRead(cc.c)
	err := cc.waitReadable()
	if !cc.state.CompareAndSwap(stateIdle, stateActive) {
		return false // Shutdown closed it meanwhile
	}
	return err == nil
}

// yieldBeforeRead lets the other runnable goroutines go first before a read that expects a
// peer's answer to what was just written. Under load the answer has usually arrived by the time
// this goroutine runs again, so the read finds bytes instead of failing with EAGAIN and parking
// (the runtime must try a read before it parks: it resets readiness when a read starts). With
// nothing else runnable it returns at once. A connection on the netloop poller parks without a
// failed read anyway, so it does not yield.
func yieldBeforeRead(c net.Conn) {
	if _, onPoller := c.(readinessWaiter); !onPoller {
		runtime.Gosched()
	}
}

// waitReadable blocks until the client sends bytes and buffers them.
func (cc *clientConn) waitReadable() error {
	if w, ok := cc.c.(readinessWaiter); ok {
		cc.releaseBuffers()
		if err := w.WaitReadable(); err != nil {
			return err
		}
		cc.takeBuffers()
		_, err := cc.bufs.in.Peek(1)
		return err
	}
	if cc.raw == nil {
		cc.takeBuffers()
		_, err := cc.bufs.in.Peek(1)
		return err
	}
	cc.releaseBuffers()
	cc.waitErr = nil
	if err := cc.raw.Read(cc.waitFn); err != nil {
		return err
	}
	return cc.waitErr
}

// readinessWaiter is a connection that can wait for bytes without reading them (netloop.Conn).
type readinessWaiter interface{ WaitReadable() error }

// readReady runs inside RawConn.Read: it takes buffers and reads without blocking, giving the
// buffers back when there was nothing to read, so the wait itself holds none.
func (cc *clientConn) readReady(fd uintptr) bool {
	cc.takeBuffers()
	cc.src.rawFD = int(fd)
	_, err := cc.bufs.in.Peek(1)
	cc.src.rawFD = -1
	if err == h1.ErrWouldBlock {
		cc.releaseBuffers()
		return false
	}
	cc.waitErr = err
	return true
}

// closeIfIdle closes the connection when it is waiting between requests; Shutdown calls it.
func (cc *clientConn) closeIfIdle() {
	if cc.state.CompareAndSwap(stateIdle, stateClosed) {
		cc.c.Close()
	}
}

// flush writes the output buffer to the client.
func (cc *clientConn) flush() error {
	b := cc.bufs
	if len(b.out) == 0 {
		return nil
	}
	_, err := cc.sock.Write(b.out)
	b.out = b.out[:0]
	return err
}

// flushMidBody writes the output buffer to the client while more of a body whose length is
// known is due from the backend. It writes with MSG_MORE, as HAProxy does: a response that
// reaches fulcrum in two parts then leaves in one segment, with one wake-up of the client,
// instead of two; the kernel holds a partial segment for at most 200 ms if the backend stalls.
func (cc *clientConn) flushMidBody() error {
	b := cc.bufs.out
	if len(b) == 0 {
		return nil
	}
	_, err := cc.sock.WriteMore(b)
	cc.bufs.out = b[:0]
	return err
}

// isEventStream reports a text/event-stream response (Server-Sent Events). The head's views
// must still be valid: call it before the body is read.
func isEventStream(r *h1.Response) bool {
	ct, _ := r.Headers.Get("content-type")
	mt, _, _ := bytes.Cut(ct, []byte(";"))
	return bytes.EqualFold(bytes.TrimSpace(mt), []byte("text/event-stream"))
}

type clientTimeouts struct{ readHeader, idle time.Duration }

func (cc *clientConn) timeouts() clientTimeouts {
	snap := cc.s.snaps()
	l := snap.Listeners[cc.s.name]
	if l == nil {
		return clientTimeouts{defaultReadHeader, defaultClientIdle}
	}
	t := l.Config.Timeouts
	return clientTimeouts{orDefault(t.ReadHeader.Duration, defaultReadHeader), orDefault(t.Idle.Duration, defaultClientIdle)}
}

// lazyDeadline sets a connection's read deadline only when it is not already within an
// eighth of the wanted timeout: SetReadDeadline costs a timer update, so a busy keep-alive
// connection touches it at most once per timeout/8.
type lazyDeadline struct{ at int64 } // unix nanoseconds of the deadline set; 0 none

func (d *lazyDeadline) extend(c net.Conn, now time.Time, timeout time.Duration) {
	n, t := now.UnixNano(), int64(timeout)
	if left := d.at - n; left >= t && left <= t+t/8 {
		return
	}
	d.at = n + t + t/8
	c.SetReadDeadline(time.Unix(0, d.at))
}

// clear removes the deadline (tunnels have none).
func (d *lazyDeadline) clear(c net.Conn) {
	d.at = 0
	c.SetReadDeadline(time.Time{})
}
