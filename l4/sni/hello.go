package sni

// cursor reads big-endian fields from a byte slice; a read past the end sets bad and yields
// zero values, so a parser can read a whole structure and check bad once.
type cursor struct {
	b   []byte
	bad bool
}

func (c *cursor) bytes(n int) []byte {
	if n < 0 || n > len(c.b) {
		c.bad = true
		c.b = nil
		return nil
	}
	v := c.b[:n]
	c.b = c.b[n:]
	return v
}

func (c *cursor) u8() int {
	v := c.bytes(1)
	if v == nil {
		return 0
	}
	return int(v[0])
}

func (c *cursor) u16() int {
	v := c.bytes(2)
	if v == nil {
		return 0
	}
	return int(v[0])<<8 | int(v[1])
}

// vec8 and vec16 read a vector with a 1- or 2-byte length prefix.
func (c *cursor) vec8() []byte  { return c.bytes(c.u8()) }
func (c *cursor) vec16() []byte { return c.bytes(c.u16()) }

// parseHello reads a ClientHello body (RFC 8446 §4.1.2) and returns its host name.
func parseHello(body []byte) (string, error) {
	c := &cursor{b: body}
	c.bytes(legacyVersionLength + clientRandomLen)
	if sid := c.vec8(); len(sid) > maxSessionIDLen {
		return "", malformed("session id of %d bytes, want at most %d", len(sid), maxSessionIDLen)
	}
	if suites := c.vec16(); len(suites) == 0 || len(suites)%2 != 0 {
		return "", malformed("cipher suites vector of %d bytes", len(suites))
	}
	if comp := c.vec8(); len(comp) == 0 {
		return "", malformed("empty compression methods")
	}
	if c.bad {
		return "", malformed("ClientHello body truncated")
	}
	if len(c.b) == 0 {
		return "", nil // no extensions at all (TLS 1.2 and older may omit them)
	}
	exts := c.vec16()
	if c.bad || len(c.b) != 0 {
		return "", malformed("extensions vector does not end the ClientHello")
	}
	return serverNameExtension(exts)
}

// serverNameExtension walks the extensions and parses server_name if present.
func serverNameExtension(exts []byte) (string, error) {
	c := &cursor{b: exts}
	name, seen := "", false
	for len(c.b) > 0 {
		typ, data := c.u16(), c.vec16()
		if c.bad {
			return "", malformed("extension truncated")
		}
		if typ != extServerName {
			continue
		}
		if seen {
			return "", malformed("two server_name extensions")
		}
		seen = true
		var err error
		if name, err = parseServerName(data); err != nil {
			return "", err
		}
	}
	return name, nil
}

// parseServerName reads a ServerNameList (RFC 6066 §3) and returns its host_name entry.
func parseServerName(data []byte) (string, error) {
	c := &cursor{b: data}
	list := c.vec16()
	if c.bad || len(c.b) != 0 || len(list) == 0 {
		return "", malformed("server_name list does not fill its extension")
	}
	l := &cursor{b: list}
	var host []byte
	for len(l.b) > 0 {
		typ, name := l.u8(), l.vec16()
		if l.bad {
			return "", malformed("server_name entry truncated")
		}
		if typ == nameTypeHostName {
			if host != nil {
				return "", malformed("two host_name entries")
			}
			host = name
		}
	}
	if err := checkHostName(host); err != nil {
		return "", err
	}
	return string(host), nil
}

// checkHostName accepts an ASCII DNS name: labels of letters, digits, '-' and '_' separated
// by single dots, at most 255 bytes, no trailing dot (RFC 6066 forbids it).
func checkHostName(h []byte) error {
	if len(h) == 0 || len(h) > maxHostNameLen {
		return malformed("host_name of %d bytes, want 1..%d", len(h), maxHostNameLen)
	}
	prevDot := true
	for _, b := range h {
		dot := b == '.'
		if dot && prevDot || !dot && !hostByte(b) {
			return malformed("host_name %q is not a DNS name", h)
		}
		prevDot = dot
	}
	if prevDot {
		return malformed("host_name %q ends with a dot", h)
	}
	return nil
}

func hostByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_'
}
