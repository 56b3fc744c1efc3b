package l7

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/runtime"
	"github.com/fulcrum-lb/fulcrum/tlsconf"
)

// Transports keeps one keep-alive connection pool per backend pool. It outlives snapshots: a
// reload that leaves a pool's timeouts alone keeps its idle connections.
type Transports struct {
	m sync.Map // pool name → *poolTransport
}

type poolTransport struct {
	key transportKey
	t   *http.Transport
}

// transportKey is what a pool's transport is built from; a change builds a new one.
type transportKey struct {
	timeouts config.PoolTimeouts
	tls      config.BackendTLS
	hasTLS   bool
	protocol string
}

func keyOf(pc config.Pool) transportKey {
	k := transportKey{timeouts: pc.Timeouts, protocol: pc.Protocol}
	if pc.TLS != nil {
		k.tls, k.hasTLS = *pc.TLS, true
	}
	return k
}

// NewTransports returns an empty set.
func NewTransports() *Transports { return &Transports{} }

// For returns the transport for p, building one when p is new or its timeouts changed.
// The common case is one lock-free map load.
func (ts *Transports) For(p *runtime.Pool) *http.Transport {
	key := keyOf(p.Config)
	if v, ok := ts.m.Load(p.Name); ok && v.(*poolTransport).key == key {
		return v.(*poolTransport).t
	}
	pt := &poolTransport{key: key, t: newTransport(p.Config)}
	if old, loaded := ts.m.Swap(p.Name, pt); loaded {
		old.(*poolTransport).t.CloseIdleConnections()
	}
	return pt.t
}

// CloseIdle closes idle backend connections of every pool.
func (ts *Transports) CloseIdle() {
	ts.m.Range(func(_, v any) bool {
		v.(*poolTransport).t.CloseIdleConnections()
		return true
	})
}

// newTransport builds a pool's transport: HTTP/1.1 (h1), HTTP/2 over TLS (h2) or HTTP/2
// with prior knowledge (h2c), with TLS when the pool has tls. A CA file that no longer
// loads (validated at config time) leaves the transport on the system roots and logs
// nothing here; the handshake errors then say why.
func newTransport(pc config.Pool) *http.Transport {
	t := pc.Timeouts
	d := &net.Dialer{Timeout: orDefault(t.Connect.Duration, 2*time.Second), KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil, // never an environment proxy
		DialContext:           d.DialContext,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       orDefault(t.Idle.Duration, 90*time.Second),
		ResponseHeaderTimeout: orDefault(t.ResponseHeader.Duration, 30*time.Second),
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		Protocols:             new(http.Protocols),
	}
	alpn := []string{"http/1.1"}
	switch pc.Protocol {
	case "h2":
		tr.Protocols.SetHTTP2(true)
		alpn = []string{"h2"}
	case "h2c":
		tr.Protocols.SetUnencryptedHTTP2(true)
	default:
		tr.Protocols.SetHTTP1(true)
	}
	tr.TLSClientConfig, _ = tlsconf.ClientConfig(pc.TLS, alpn)
	return tr
}
