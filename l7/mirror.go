package l7

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// mirrorSlots bounds the mirrored requests in flight per listener. With bodies capped by
// retry_body_limit this bounds mirror memory; when every slot is taken a mirror is dropped,
// so a slow shadow pool never queues work or slows the primary.
const mirrorSlots = 64

// mirrors sends copies of requests to shadow pools and discards the answers.
type mirrors struct {
	slots      chan struct{}
	transports *Transports
	logger     *slog.Logger
	dropped    atomic.Int64
	sent       atomic.Int64
}

func newMirrors(ts *Transports, logger *slog.Logger) *mirrors {
	return &mirrors{slots: make(chan struct{}, mirrorSlots), transports: ts, logger: logger}
}

// maybe mirrors r when the route says so and the sample hits. Requests whose body is
// streamed (too large to buffer) are not mirrored.
func (m *mirrors) maybe(r *http.Request, rt *runtime.Route, ex *exchange) {
	mi := rt.Action.Mirror
	if mi == nil || !mi.Sample(rand.Uint64()) {
		return
	}
	if !ex.replayable {
		m.dropped.Add(1)
		return
	}
	select {
	case m.slots <- struct{}{}:
	default:
		m.dropped.Add(1)
		return
	}
	p := rt.Pools[mi.Pool]
	out, cancel := m.request(r, rt, p, ex.body)
	go m.send(out, p, cancel)
}

// request copies r for the shadow pool, with the route's rewrite and header edits, on a
// context of its own bounded by the pool's response timeout.
func (m *mirrors) request(r *http.Request, rt *runtime.Route, p *runtime.Pool, body []byte) (*http.Request, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), orDefault(p.Config.Timeouts.ResponseHeader.Duration, 30*time.Second))
	out := r.Clone(ctx)
	out.RequestURI, out.URL.Scheme = "", backendScheme(p)
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	applyRewrite(out, rt.Action)
	rt.Action.RequestHeaders.Apply(out.Header)
	out.Header.Set("X-Fulcrum-Mirror", "1")
	return out, cancel
}

// send delivers one mirrored request and frees its slot.
func (m *mirrors) send(out *http.Request, p *runtime.Pool, cancel context.CancelFunc) {
	defer func() { <-m.slots }()
	defer cancel()
	var req balance.Request
	i := p.Pick(&req)
	if i < 0 {
		return
	}
	mem := &p.Members[i]
	out.URL.Host = mem.Address
	mem.Acquire()
	defer mem.Release()
	start := time.Now()
	resp, err := m.transports.For(p).RoundTrip(out)
	if err != nil {
		m.logger.Debug("mirror failed", "pool", p.Name, "err", err)
		p.Done(i, false, 0, time.Now().UnixNano())
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	m.sent.Add(1)
	p.Done(i, resp.StatusCode < 502 || resp.StatusCode > 504, time.Since(start), time.Now().UnixNano())
}
