package h1

import "bytes"

// Response is a parsed response head; byte slices are views into the buffer given to
// ParseResponse. Reuse one Response per backend connection.
type Response struct {
	ProtoMinor int
	Status     int
	Reason     []byte
	Headers    Headers

	Body          BodyKind // BodyNone, BodyLength, BodyChunked or BodyUntilClose
	ContentLength int64    // when Body == BodyLength
	Close         bool     // the backend connection cannot be reused after this response

	connNames bool // Connection lists options that may name fields to drop when forwarding
}

func (r *Response) reset() {
	h := r.Headers[:0]
	*r = Response{Headers: h}
}

// Informational reports a 1xx response: another response head follows on the connection,
// except after 101 Switching Protocols, where the connection becomes a tunnel.
func (r *Response) Informational() bool { return r.Status < 200 }

// ParseResponse parses the response head at the start of buf, answering a request whose method
// was reqMethod (HEAD responses and 2xx answers to CONNECT have no body). It returns the bytes
// taken, ErrNeedMore, or an *Error; on any error a proxy answers StatusBadGateway.
func ParseResponse(buf []byte, lim Limits, reqMethod []byte, resp *Response) (n int, err error) {
	lim = lim.withDefaults()
	resp.reset()
	line, off, err := nextLine(buf, 0)
	if err == ErrNeedMore && len(buf) > lim.MaxHeadBytes {
		return 0, ErrHeadTooLarge
	}
	if err != nil {
		return 0, err
	}
	if err := resp.parseStatusLine(line); err != nil {
		return 0, err
	}
	if off, err = parseFields(buf, off, lim, &resp.Headers); err != nil {
		return 0, err
	}
	return off, resp.decide(reqMethod)
}

// parseStatusLine parses HTTP-version SP 3DIGIT [SP reason-phrase]. A missing SP after the
// code is tolerated: it cannot change framing.
func (r *Response) parseStatusLine(line []byte) error {
	version, rest, _ := bytes.Cut(line, []byte{' '})
	minor, err := parseVersion(version)
	if err != nil {
		return err
	}
	if len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return ErrBadStatusLine
	}
	code := 0
	for _, c := range rest[:3] {
		if !isDigit(c) {
			return ErrBadStatusLine
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || (len(rest) > 3 && !validValue(rest[4:])) {
		return ErrBadStatusLine
	}
	r.ProtoMinor, r.Status = minor, code
	if len(rest) > 3 {
		r.Reason = rest[4:]
	}
	return nil
}

// decide makes the framing decision of RFC 9112 §6.3 for a response.
func (r *Response) decide(reqMethod []byte) error {
	var f fieldFacts
	f.scan(r.Headers)
	r.Close = f.close || (r.ProtoMinor == 0 && !f.keepAlive)
	r.connNames = f.connNames
	if r.bodiless(reqMethod) {
		return nil
	}
	var err error
	if r.Body, r.ContentLength, err = f.framing(r.ProtoMinor == 0); err != nil {
		return err
	}
	if r.Body == BodyNone {
		r.Body, r.Close = BodyUntilClose, true
	}
	return nil
}

// bodiless reports responses that never have a body, whatever their fields say.
func (r *Response) bodiless(reqMethod []byte) bool {
	switch {
	case r.Status < 200, r.Status == 204, r.Status == 304:
		return true
	case string(reqMethod) == "HEAD":
		return true
	case string(reqMethod) == "CONNECT" && r.Status < 300:
		return true
	}
	return false
}
