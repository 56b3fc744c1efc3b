package epoll

import (
	"net/netip"

	"github.com/fulcrum-lb/fulcrum/balance"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// The pick follows package l4 (l4/dial.go) exactly, so both engines spread connections the
// same way: hash pools keyed on source_ip hash the client address, and a member at its
// max_connections is skipped.

// setKey resets req for a new connection from client, keeping Tried's capacity.
func setKey(req *balance.Request, p *runtime.Pool, client netip.Addr) {
	*req = balance.Request{Tried: req.Tried[:0]}
	if p.HashFrom != runtime.HashSourceIP || !client.IsValid() {
		return
	}
	a := client.Unmap().As16()
	req.Key, req.HasKey = balance.HashKey(a[:]), true
}

// pickUnderCap picks and acquires a member below its max_connections, skipping full ones;
// -1 when none is eligible.
func pickUnderCap(p *runtime.Pool, req *balance.Request) int {
	for range len(p.Members) + 1 {
		i := p.Pick(req)
		if i < 0 {
			return -1
		}
		m := &p.Members[i]
		m.Acquire()
		if m.MaxConnections == 0 || m.InFlight() <= m.MaxConnections {
			return i
		}
		m.Release()
		req.Tried = append(req.Tried, i)
	}
	return -1
}

// connRequest is what a connection offers the route matchers: only the client's address.
type connRequest struct{ client netip.Addr }

func (connRequest) Host() string                 { return "" }
func (connRequest) Path() string                 { return "" }
func (connRequest) Method() string               { return "" }
func (connRequest) Header(string) (string, bool) { return "", false }
func (connRequest) Query(string) (string, bool)  { return "", false }
func (r connRequest) Client() netip.Addr         { return r.client }
