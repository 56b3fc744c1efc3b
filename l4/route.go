package l4

import (
	"net/netip"

	"github.com/fulcrum-lb/fulcrum/route"
	"github.com/fulcrum-lb/fulcrum/runtime"
)

// route picks the listener's route: on tls listeners by the ClientHello's server name (see
// runtime.Listener.RouteSNI); on tcp listeners the first route that matches the client,
// normally the route without `match`.
func (s *Stream) route(l *runtime.Listener, serverName string, client netip.Addr) *runtime.Route {
	if s.mode == TCP {
		return l.Route(route.Conn{Addr: client})
	}
	return l.RouteSNI(serverName)
}
