package l7

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Transports keeps one keep-alive connection pool per backend pool. It outlives snapshots: a
// reload that leaves a pool's timeouts alone keeps its idle connections.
type Transports struct {
	m sync.Map // pool name → *poolTransport
}

type poolTransport struct {
	timeouts config.PoolTimeouts
	t        *http.Transport
}

// NewTransports returns an empty set.
func NewTransports() *Transports { return &Transports{} }

// For returns the transport for p, building one when p is new or its timeouts changed.
// The common case is one lock-free map load.
func (ts *Transports) For(p *runtime.Pool) *http.Transport {
	if v, ok := ts.m.Load(p.Name); ok && v.(*poolTransport).timeouts == p.Config.Timeouts {
		return v.(*poolTransport).t
	}
	pt := &poolTransport{timeouts: p.Config.Timeouts, t: newTransport(p.Config.Timeouts)}
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

func newTransport(t config.PoolTimeouts) *http.Transport {
	d := &net.Dialer{Timeout: orDefault(t.Connect.Duration, 2*time.Second), KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil, // never an environment proxy
		DialContext:           d.DialContext,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       orDefault(t.Idle.Duration, 90*time.Second),
		ResponseHeaderTimeout: orDefault(t.ResponseHeader.Duration, 30*time.Second),
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}
