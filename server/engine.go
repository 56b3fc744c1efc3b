package server

import (
	"fmt"
	"net"
	"net/http"

	"golang.org/x/net/http2"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/h1proxy"
	"github.com/fulcrum-lb/fulcrum/l7"
)

// defaultEngine serves http listeners that name no engine, when it can serve them. It is
// fulcrum since the e2e suite (server/*_e2e_test.go) passes on it.
const defaultEngine = "fulcrum"

// engineFor decides which engine serves an http listener: the one it names, else the default
// when that engine serves every route and pool, else net_http. An explicit fulcrum engine
// for a listener it cannot serve is an error.
func engineFor(cfg *config.Config, lc config.Listener) (string, error) {
	why := h1proxy.Unsupported(cfg, lc)
	switch {
	case lc.Engine == "fulcrum" && why != "":
		return "", fmt.Errorf("engine fulcrum does not serve %s yet; use engine: net_http", why)
	case lc.Engine != "":
		return lc.Engine, nil
	case defaultEngine == "fulcrum" && why == "":
		return "fulcrum", nil
	}
	return "net_http", nil
}

// httpKey makes a change of engine open a new listener: the engine that serves it under cfg,
// so a reload that gives a route or pool a feature only net_http serves moves the listener
// to net_http (the socket is handed over, nothing is refused).
func httpKey(cfg *config.Config, lc config.Listener) string {
	engine, err := engineFor(cfg, lc)
	if err != nil {
		engine = "net_http"
	}
	return "engine=" + engine
}

// serveFulcrum serves an http listener with the h1proxy engine.
func serveFulcrum(s *Server, name string, ln net.Listener) (Service, func() error) {
	srv := h1proxy.New(name, s.rt.Snapshot, s.logger)
	srv.Observer = s.metrics
	srv.AccessLog = s.AccessLog()
	srv.H2C = h2cHandler(s, name)
	ln = srv.Listen(ln) // under the connection limit, which must see every Accept
	if n := s.rt.Snapshot().Listeners[name].Config.MaxConnections; n > 0 {
		ln = limitListener(ln, n)
	}
	return srv, func() error { return srv.Serve(ln) }
}

// useFulcrum reports whether listener name is served by the fulcrum engine. An explicit
// fulcrum engine that cannot serve the listener is logged and served by net_http.
func useFulcrum(s *Server, name string) bool {
	snap := s.rt.Snapshot()
	engine, err := engineFor(snap.Config, snap.Listeners[name].Config)
	if err != nil {
		s.logger.Error("engine", "listener", name, "err", err)
	}
	return engine == "fulcrum"
}

// h2cHandler serves the h2c (prior knowledge) connections of a fulcrum-engine listener with
// package l7, as a net_http listener would.
func h2cHandler(s *Server, name string) func(net.Conn) {
	l7srv := l7.New(name, s.rt.Snapshot, s.transports, s.logger)
	l7srv.Observer = s.metrics
	h2 := &http2.Server{}
	return func(c net.Conn) {
		h2.ServeConn(c, &http2.ServeConnOpts{Handler: l7srv, BaseConfig: &http.Server{}})
	}
}
