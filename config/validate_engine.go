package config

// engines are the engines each listener protocol may name: HTTP/1.1 engines for http
// listeners, the data path for tcp and tls listeners.
var engines = map[string][]string{
	"http": {"fulcrum", "net_http"},
	"tcp":  {"netpoll", "epoll"},
	"tls":  {"netpoll", "epoll"},
}

// validateEngine checks each listener's engine: a known name for its protocol, on http, tcp
// and tls listeners only (https and HTTP/2 are served by net_http). Whether the named engine
// serves every route and pool is decided where the listener opens, since engines grow.
func validateEngine(c *checker, cfg *Config) {
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		path := childPath(indexPath("listeners", i), "engine")
		if l.Engine == "" {
			continue
		}
		protocol := l.Protocol
		if protocol == "" {
			protocol = "http"
		}
		allowed, ok := engines[protocol]
		if !ok {
			c.errorf(path, "engine applies to http, tcp and tls listeners only, not %s", l.Protocol)
			continue
		}
		checkOneOf(c, path, l.Engine, allowed)
	}
}
