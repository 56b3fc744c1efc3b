package h1proxy

import (
	"net"
	"sync"
	"time"

	"github.com/fulcrum-lb/fulcrum/h1"
	"github.com/fulcrum-lb/fulcrum/netloop"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// Backend-side defaults, the same as package l7's.
const (
	defaultConnectTimeout = 2 * time.Second
	defaultHeaderTimeout  = 30 * time.Second
	defaultBackendIdle    = 90 * time.Second
)

// backendReadBuffer is the size of a backend connection's read buffer: 64 KiB, what loopback and
// most sockets hand over in one read, so a large body is relayed in as few reads (and writes:
// relayed slices that big go to the client uncopied) as the socket allows.
const backendReadBuffer = 64 << 10

// backendPools keeps one h1.Pool of keep-alive backend connections per distinct pair of pool
// timeouts (connect, idle), shared by every pool that configures the same pair.
type backendPools struct {
	pools    sync.Map // poolKey → *h1.Pool
	byPool   memo[*runtime.Pool, *h1.Pool]
	noPoller bool // serve on the runtime's netpoller (tests of that path)
}

type poolKey struct{ connect, idle time.Duration }

// forPool returns the connection pool for a runtime pool's timeouts.
func (b *backendPools) forPool(p *runtime.Pool) *h1.Pool {
	return b.byPool.get(p, b.forTimeouts)
}

func (b *backendPools) forTimeouts(p *runtime.Pool) *h1.Pool {
	k := poolKey{orDefault(p.Config.Timeouts.Connect.Duration, defaultConnectTimeout), orDefault(p.Config.Timeouts.Idle.Duration, defaultBackendIdle)}
	if v, ok := b.pools.Load(k); ok {
		return v.(*h1.Pool)
	}
	var dialer h1.Dialer = &net.Dialer{Timeout: k.connect}
	if p := b.poller(); p != nil {
		dialer = &netloop.Dialer{Poller: p, Timeout: k.connect}
	}
	v, _ := b.pools.LoadOrStore(k, h1.NewPool(h1.PoolConfig{
		Dialer:         dialer,
		IdleTimeout:    k.idle,
		MaxIdlePerAddr: 256,
		ReadBufferSize: backendReadBuffer,
		TrustIdle:      time.Second,
	}))
	return v.(*h1.Pool)
}

// poller returns the netloop poller sockets run on, or nil where there is none (then the
// runtime's netpoller serves them).
func (b *backendPools) poller() *netloop.Poller {
	if !netloop.Supported || b.noPoller {
		return nil
	}
	p, err := netloop.Default()
	if err != nil {
		return nil
	}
	return p
}

func (b *backendPools) closeIdle() {
	b.pools.Range(func(_, v any) bool {
		v.(*h1.Pool).CloseIdle()
		return true
	})
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// headerTimeout is how long a backend may take to start its response.
func headerTimeout(p *runtime.Pool) time.Duration {
	return orDefault(p.Config.Timeouts.ResponseHeader.Duration, defaultHeaderTimeout)
}
