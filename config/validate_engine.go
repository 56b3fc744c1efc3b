package config

// Engines are the HTTP/1.1 engines an http listener may name.
var engines = []string{"fulcrum", "net_http"}

// validateEngine checks each listener's engine: a known name, on http listeners only (https
// and HTTP/2 are served by net_http). Whether the fulcrum engine serves every route and pool is
// decided where the listener opens, since that engine grows.
func validateEngine(c *checker, cfg *Config) {
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		path := childPath(indexPath("listeners", i), "engine")
		if l.Engine == "" {
			continue
		}
		if l.Protocol != "http" && l.Protocol != "" {
			c.errorf(path, "engine applies to http listeners only, not %s", l.Protocol)
			continue
		}
		checkOneOf(c, path, l.Engine, engines)
	}
}
