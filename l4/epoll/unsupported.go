package epoll

import (
	"net/netip"

	"github.com/fulcrum-lb/fulcrum/config"
)

// Unsupported names the first setting of listener lc (with the pools of cfg) that the
// epoll engine does not serve, or returns "" when it serves them all.
func Unsupported(cfg *config.Config, lc config.Listener) string {
	switch {
	case !Supported:
		return "this operating system (epoll is Linux only)"
	case lc.Protocol != "tcp" && lc.Protocol != "tls":
		return "protocol " + lc.Protocol
	}
	for _, r := range lc.Routes {
		if a := hostnameBackend(cfg, r.Pool); a != "" {
			return "backend address " + a + " (not an IP:port)"
		}
	}
	return ""
}

// hostnameBackend returns the first backend address of the named pool that is not IP:port.
func hostnameBackend(cfg *config.Config, pool string) string {
	for _, p := range cfg.Pools {
		if p.Name != pool {
			continue
		}
		for _, b := range p.Backends {
			if _, err := netip.ParseAddrPort(b.Address); err != nil {
				return b.Address
			}
		}
	}
	return ""
}
