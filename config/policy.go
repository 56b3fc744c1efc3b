package config

// StringMatch is a condition on a header or query value, written either as a plain string
// (the exact value) or as a mapping with exactly one of regex, present or absent.
type StringMatch struct {
	Exact   string `yaml:"exact,omitempty"`
	Regex   string `yaml:"regex,omitempty"`   // RE2, unanchored
	Present bool   `yaml:"present,omitempty"` // the name is there, with any value
	Absent  bool   `yaml:"absent,omitempty"`  // the name is not there
}

// SetScalar takes the plain-string form: an exact value. The decoder calls it for a scalar.
func (m *StringMatch) SetScalar(text string) { *m = StringMatch{Exact: text} }

// MarshalYAML writes an exact match back as a plain string, anything else as a mapping.
func (m StringMatch) MarshalYAML() (any, error) {
	if m.Regex == "" && !m.Present && !m.Absent {
		return m.Exact, nil
	}
	type plain StringMatch
	return plain(m), nil
}

// GeoMatch matches the client's country or continent (ISO codes, upper-case: DE, EU).
type GeoMatch struct {
	Country   []string `yaml:"country,omitempty"`
	Continent []string `yaml:"continent,omitempty"`
}

// GeoIP names a MaxMind GeoLite2/GeoIP2 Country or City database. It is read at every
// apply, so a replaced file is picked up on reload.
type GeoIP struct {
	Database string `yaml:"database"`
}

// SplitTarget is one pool of a weighted split and its share.
type SplitTarget struct {
	Pool   string `yaml:"pool"`
	Weight int    `yaml:"weight"`
}

// Mirror copies Percent of the requests to Pool; answers are discarded, failures ignored.
type Mirror struct {
	Pool    string  `yaml:"pool"`
	Percent float64 `yaml:"percent"` // 0 < percent <= 100; default 100
}

// HeaderEdit changes headers: Remove first, then Set (replacing), then Add (appending).
type HeaderEdit struct {
	Set    map[string]string `yaml:"set,omitempty"`
	Add    map[string]string `yaml:"add,omitempty"`
	Remove []string          `yaml:"remove,omitempty"`
}

// Rewrite changes the path sent to the backend: StripPrefix is removed from the front on
// a segment boundary, and ReplacePrefix (if set) is put in its place.
type Rewrite struct {
	StripPrefix   string `yaml:"strip_prefix,omitempty"`
	ReplacePrefix string `yaml:"replace_prefix,omitempty"`
}

// Redirect answers with Status and a Location made from the request with the given parts
// replaced; empty parts keep the request's own.
type Redirect struct {
	Status int    `yaml:"status,omitempty"` // 301, 302 (default), 303, 307 or 308
	Scheme string `yaml:"scheme,omitempty"` // http | https
	Host   string `yaml:"host,omitempty"`   // host[:port]
	Path   string `yaml:"path,omitempty"`
}

// Respond answers directly.
type Respond struct {
	Status int    `yaml:"status,omitempty"` // default 200
	Body   string `yaml:"body,omitempty"`
}

// Affinity pins clients to backends. Type cookie is the only kind: fulcrum sets a cookie
// naming the backend, HMAC-signed with Key so clients cannot choose a backend and every
// replica with the same key honours it.
type Affinity struct {
	Type string `yaml:"type"`           // cookie
	Name string `yaml:"name,omitempty"` // default FULCRUM_AFFINITY
	Key  string `yaml:"key"`            // signing secret, at least 16 bytes
	// PreviousKeys are still accepted (not used to sign), for key rotation.
	PreviousKeys []string `yaml:"previous_keys,omitempty"`
	TTL          Duration `yaml:"ttl,omitempty"` // cookie and signature lifetime; 0 = session cookie, no expiry
	Secure       bool     `yaml:"secure,omitempty"`
	HTTPOnly     bool     `yaml:"http_only,omitempty"`
	SameSite     string   `yaml:"same_site,omitempty"` // lax | strict | none; empty sends none of it
}

// BackendTLS makes a pool's backend connections TLS.
type BackendTLS struct {
	CA                 string `yaml:"ca,omitempty"`          // PEM bundle; empty: the system roots
	ServerName         string `yaml:"server_name,omitempty"` // empty: the backend's host
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// ListenerTLS is an https listener's certificates and client verification.
type ListenerTLS struct {
	// Certificates are served by SNI (names from each certificate, wildcards included);
	// the first one is the default for clients that send no or an unknown name.
	Certificates []Certificate `yaml:"certificates"`
	MinVersion   string        `yaml:"min_version,omitempty"` // "1.2" (default) or "1.3"
	// ClientCA, when set, requires and verifies client certificates against this PEM bundle.
	ClientCA string `yaml:"client_ca,omitempty"`
}

// Certificate is a PEM certificate chain and its key. Files are re-read on reload.
type Certificate struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// BackendProtocols lists a pool's `protocol` values.
var BackendProtocols = []string{"h1", "h2", "h2c"}
