package config

// validateL4 checks the layer-4 settings: proxy_protocol, client_hello_timeout,
// max_sessions and session_idle on listeners, send_proxy_protocol on pools. Each setting is
// checked only where it applies and rejected on listeners of other protocols.
func validateL4(c *checker, cfg *Config) {
	for i := range cfg.Listeners {
		validateL4Listener(c, indexPath("listeners", i), &cfg.Listeners[i])
	}
	for i := range cfg.Pools {
		p := childPath(indexPath("pools", i), "send_proxy_protocol")
		if v := cfg.Pools[i].SendProxyProtocol; v != "" {
			checkOneOf(c, p, v, []string{"v1", "v2"})
		}
	}
}

func validateL4Listener(c *checker, path string, l *Listener) {
	stream := l.Protocol == "tcp" || l.Protocol == "tls"
	if l.ProxyProtocol != "" {
		p := childPath(path, "proxy_protocol")
		if !stream {
			c.errorf(p, "proxy_protocol applies to tcp and tls listeners only, not %s", l.Protocol)
		} else if checkOneOf(c, p, l.ProxyProtocol, []string{"accept"}) && len(l.TrustedProxies) == 0 {
			c.errorf(p, "proxy_protocol: accept needs trusted_proxies: every client would be refused")
		}
	}
	onlyOn(c, path, "client_hello_timeout", c.has(childPath(path, "client_hello_timeout")), stream, l.Protocol)
	onlyOn(c, path, "max_sessions", c.has(childPath(path, "max_sessions")), l.Protocol == "udp", l.Protocol)
	onlyOn(c, path, "session_idle", c.has(childPath(path, "session_idle")), l.Protocol == "udp", l.Protocol)
	if c.has(childPath(path, "client_hello_timeout")) {
		checkPositive(c, childPath(path, "client_hello_timeout"), l.ClientHelloTimeout)
	}
	if c.has(childPath(path, "session_idle")) {
		checkPositive(c, childPath(path, "session_idle"), l.SessionIdle)
	}
	checkNotNegative(c, childPath(path, "max_sessions"), l.MaxSessions)
}

// onlyOn reports a setting given on a listener whose protocol does not use it.
func onlyOn(c *checker, path, key string, given, applies bool, protocol string) {
	if given && !applies {
		c.errorf(childPath(path, key), "%s does not apply to %s listeners", key, protocol)
	}
}
