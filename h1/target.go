package h1

import "bytes"

// targetByte marks bytes allowed in a request target: visible ASCII. Percent-encoding is
// checked separately.
var targetByte = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = true
	}
	return t
}()

// hostByte marks bytes allowed in a Host value or a target authority: the characters of
// reg-name, IP-literal and port (RFC 3986), percent included.
var hostByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = tchar[c] && c != '^' && c != '`' && c != '|' && c != '#'
	}
	for _, c := range []byte("()*,;=:[]") {
		t[c] = true
	}
	return t
}()

var slash = []byte("/")

// parseTarget checks the target's characters and form and takes the authority of an
// absolute-form or authority-form target as the request's Host.
func (r *Request) parseTarget() error {
	t := r.Target
	if !validTarget(t) {
		return ErrBadTarget
	}
	switch {
	case t[0] == '/':
		return nil
	case string(t) == "*" && string(r.Method) == "OPTIONS":
		return nil
	case string(r.Method) == "CONNECT":
		return r.authorityForm(t)
	}
	return r.absoluteForm(t)
}

func (r *Request) authorityForm(t []byte) error {
	if !validHost(t) || bytes.IndexByte(t, ':') < 0 {
		return ErrBadTarget
	}
	r.Host = t
	return nil
}

// absoluteForm accepts http:// and https:// targets without userinfo.
func (r *Request) absoluteForm(t []byte) error {
	rest, ok := cutSchemePrefix(t)
	if !ok {
		return ErrBadTarget
	}
	end := bytes.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	if len(authority) == 0 || !validHost(authority) {
		return ErrBadTarget
	}
	switch origin := rest[end:]; {
	case len(origin) == 0:
		r.origin = slash
	case origin[0] == '?':
		return ErrBadTarget // "http://a?q" would need a "/" inserted; refused rather than copied
	default:
		r.origin = origin
	}
	r.Host = authority
	return nil
}

func cutSchemePrefix(t []byte) ([]byte, bool) {
	for _, scheme := range [...]string{"http://", "https://"} {
		if len(t) > len(scheme) && equalFold(t[:len(scheme)], scheme) {
			return t[len(scheme):], true
		}
	}
	return nil, false
}

// validTarget requires visible ASCII and well-formed percent-encoding.
func validTarget(t []byte) bool {
	for i := 0; i < len(t); i++ {
		if !targetByte[t[i]] {
			return false
		}
		if t[i] == '%' && (i+2 >= len(t) || !isHex(t[i+1]) || !isHex(t[i+2])) {
			return false
		}
	}
	return true
}

func validHost(h []byte) bool {
	for _, c := range h {
		if !hostByte[c] {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return hexValue(c) >= 0 }

func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
