package h1

import "bytes"

// Header is one field line as received: views into the parsed buffer, value without the
// surrounding optional whitespace.
type Header struct {
	Name, Value []byte
}

// Headers is a field section in received order. It is reused across messages: parsing
// truncates it to zero length and appends, so once its capacity has grown it never allocates.
type Headers []Header

// Get returns the value of the first field named name (compared case-insensitively; name must
// be lower case ASCII) and whether there was one. It does not allocate.
func (h Headers) Get(name string) ([]byte, bool) {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return nil, false
}

// Count returns how many fields are named name (lower case ASCII).
func (h Headers) Count(name string) int {
	n := 0
	for i := range h {
		if equalFold(h[i].Name, name) {
			n++
		}
	}
	return n
}

// equalFold reports whether b equals the lower-case ASCII string s, ignoring ASCII case in b.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// tchar marks the token characters of RFC 9110 §5.6.2.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range []byte("!#$%&'*+-.^_`|~") {
		t[c] = true
	}
	return t
}()

// fieldByte marks bytes allowed in a field value: VCHAR, obs-text, SP and HT.
var fieldByte = func() (t [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != 0x7f
	}
	t['\t'] = true
	return t
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

func validValue(b []byte) bool {
	for _, c := range b {
		if !fieldByte[c] {
			return false
		}
	}
	return true
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// nextLine returns the line that starts at off, without its CRLF, and the offset just past the
// CRLF. It returns ErrNeedMore when no LF follows and ErrBareLF when the LF lacks its CR.
func nextLine(buf []byte, off int) (line []byte, next int, err error) {
	i := bytes.IndexByte(buf[off:], '\n')
	if i < 0 {
		return nil, off, ErrNeedMore
	}
	end := off + i
	if i == 0 || buf[end-1] != '\r' {
		return nil, off, ErrBareLF
	}
	return buf[off : end-1], end + 1, nil
}

// parseFields parses field lines from off up to and including the empty line that ends the
// section, appending to *h. It returns the offset just past that empty line.
func parseFields(buf []byte, off int, lim Limits, h *Headers) (int, error) {
	for {
		if name, value, next, ok := scanField(buf, off); ok && next <= lim.MaxHeadBytes && len(*h) < lim.MaxFields {
			*h = append(*h, Header{Name: name, Value: value})
			off = next
			continue
		}
		line, next, err := nextLine(buf, off)
		if err == ErrNeedMore && len(buf) > lim.MaxHeadBytes || next > lim.MaxHeadBytes {
			return 0, ErrHeadTooLarge
		}
		if err != nil {
			return 0, err
		}
		if len(line) == 0 {
			return next, nil
		}
		if err := appendField(line, lim, h); err != nil {
			return 0, err
		}
		off = next
	}
}

func appendField(line []byte, lim Limits, h *Headers) error {
	if isOWS(line[0]) {
		return ErrObsFold
	}
	if len(*h) >= lim.MaxFields {
		return ErrTooManyFields
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return ErrBadFieldName
	}
	value := trimOWS(line[colon+1:])
	if !validValue(value) {
		return ErrBadFieldValue
	}
	*h = append(*h, Header{Name: line[:colon], Value: value})
	return nil
}

// nextElement splits the first element off a comma-separated list value, trimming OWS.
func nextElement(list []byte) (elem, rest []byte) {
	i := bytes.IndexByte(list, ',')
	if i < 0 {
		return trimOWS(list), nil
	}
	return trimOWS(list[:i]), list[i+1:]
}
