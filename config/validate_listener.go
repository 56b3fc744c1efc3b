package config

import (
	"net/netip"
	"slices"
	"strings"
)

// protocolInfo is what validation knows about a listener protocol. Engineers adding a
// protocol add a row to protocols.
type protocolInfo struct {
	family    string // "tcp" or "udp": listeners of one family may not share an address
	httpMatch bool   // routes may match host, path, path_prefix, method and headers
	sniMatch  bool   // routes may match sni
}

// protocols lists every listener protocol a config may name.
var protocols = map[string]protocolInfo{
	"http":  {family: "tcp", httpMatch: true},
	"https": {family: "tcp", httpMatch: true, sniMatch: true},
	"tcp":   {family: "tcp"},
	"tls":   {family: "tcp", sniMatch: true},
	"udp":   {family: "udp"},
}

// protocolNames is the sorted list of protocols, for messages.
func protocolNames() []string {
	names := make([]string, 0, len(protocols))
	for name := range protocols {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// boundAddr is a listen address already taken, for the duplicate check.
type boundAddr struct {
	family, host, port string
	listener           string
	path               string
}

// validateListeners checks every listener and the routes in it.
func validateListeners(c *checker, cfg *Config) {
	if len(cfg.Listeners) == 0 {
		c.errorf("listeners", "at least one listener is required")
	}
	poolNames := make([]string, len(cfg.Pools))
	for i, p := range cfg.Pools {
		poolNames[i] = p.Name
	}
	names, routeNames := map[string]string{}, map[string]string{}
	var bound []boundAddr
	for i := range cfg.Listeners {
		path := indexPath("listeners", i)
		l := &cfg.Listeners[i]
		checkUniqueName(c, path, "listener", l.Name, names)
		proto, known := checkProtocol(c, path, l.Protocol)
		bound = checkListen(c, path, l, proto, known, bound)
		checkListenerLimits(c, path, l)
		validateRoutes(c, path, l, proto, known, poolNames, routeNames)
	}
}

// checkProtocol reports an unknown protocol and returns what is known about it.
func checkProtocol(c *checker, path, protocol string) (protocolInfo, bool) {
	proto, known := protocols[protocol]
	if !known {
		checkOneOf(c, childPath(path, "protocol"), protocol, protocolNames())
	}
	return proto, known
}

// checkListen validates the listen address and that no earlier listener of the same
// family binds it; it returns bound with this address added.
func checkListen(c *checker, path string, l *Listener, proto protocolInfo, known bool, bound []boundAddr) []boundAddr {
	listenPath := childPath(path, "listen")
	if l.Listen == "" {
		c.errorf(listenPath, "listener %q: listen address is required", l.Name)
		return bound
	}
	host, port, ok := checkListenAddr(c, listenPath, l.Listen)
	if !ok || !known {
		return bound
	}
	me := boundAddr{family: proto.family, host: host, port: port, listener: l.Name, path: listenPath}
	for _, b := range bound {
		if b.overlaps(me) {
			c.errorf(listenPath, "listen address %q is already used by listener %q (line %d)", l.Listen, b.listener, c.line(b.path))
			break
		}
	}
	return append(bound, me)
}

// overlaps reports whether two listeners would bind the same socket: same family and
// port, and the same host or a wildcard host on either side.
func (b boundAddr) overlaps(o boundAddr) bool {
	if b.family != o.family || b.port != o.port || b.port == "0" {
		return false
	}
	return isWildcard(b.host) || isWildcard(o.host) || sameHost(b.host, o.host)
}

// isWildcard reports whether host binds every interface.
func isWildcard(host string) bool {
	ip, err := netip.ParseAddr(host)
	return host == "" || (err == nil && ip.IsUnspecified())
}

// sameHost compares hosts case-insensitively, and IP addresses by value.
func sameHost(a, b string) bool {
	ipA, errA := netip.ParseAddr(a)
	ipB, errB := netip.ParseAddr(b)
	if errA == nil && errB == nil {
		return ipA == ipB
	}
	return strings.EqualFold(a, b)
}

// checkListenerLimits checks the listener's caps and timeouts.
func checkListenerLimits(c *checker, path string, l *Listener) {
	checkNotNegative(c, childPath(path, "max_connections"), l.MaxConnections)
	checkPositive(c, childPath(path, "timeouts.read_header"), l.Timeouts.ReadHeader)
	checkPositive(c, childPath(path, "timeouts.idle"), l.Timeouts.Idle)
	switch l.ForwardingHeaders {
	case "", "all", "via", "x_forwarded", "none":
	default:
		c.errorf(childPath(path, "forwarding_headers"), "forwarding_headers %q is not one of all, via, x_forwarded, none", l.ForwardingHeaders)
	}
}

// validateRoutes checks a listener's routes, and warns about routes that can never
// match because a catch-all route comes before them.
func validateRoutes(c *checker, path string, l *Listener, proto protocolInfo, known bool, pools []string, names map[string]string) {
	routesPath := childPath(path, "routes")
	if len(l.Routes) == 0 {
		c.errorf(routesPath, "listener %q has no routes", l.Name)
		return
	}
	catchAll := -1
	for i, r := range l.Routes {
		rp := indexPath(routesPath, i)
		if c.has(childPath(rp, "name")) { // default names are unique when listener names are
			checkUniqueName(c, rp, "route", r.Name, names)
		}
		if !r.answersItself() {
			checkRoutePool(c, rp, r.Pool, pools)
		}
		if r.Match != nil {
			validateMatch(c, childPath(rp, "match"), r.Match, l.Protocol, proto, known)
		}
		if catchAll >= 0 {
			c.warnf(rp, "route %q can never match: route %q (line %d) before it matches every request",
				r.Name, l.Routes[catchAll].Name, c.line(indexPath(routesPath, catchAll)))
		} else if r.Match.isEmpty() {
			catchAll = i
		}
	}
}

// isEmpty reports whether m matches every request (nil or no conditions).
func (m *Match) isEmpty() bool {
	return m == nil || (len(m.Host) == 0 && m.Path == "" && m.PathPrefix == "" && len(m.Method) == 0 &&
		len(m.Headers) == 0 && len(m.SNI) == 0 && !m.hasPolicyConditions())
}

// checkRoutePool reports a route whose pool is missing or not defined.
func checkRoutePool(c *checker, path, pool string, pools []string) {
	poolPath := childPath(path, "pool")
	switch {
	case pool == "":
		c.errorf(poolPath, "route needs a pool")
	case !slices.Contains(pools, pool):
		c.errorf(poolPath, "route names pool %q, which does not exist%s", pool, didYouMean(pool, pools))
	}
}
