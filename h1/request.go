package h1

import "bytes"

// Request is a parsed request head. Byte slices are views into the buffer given to
// ParseRequest and stay valid until the caller reuses that buffer. Reuse one Request per
// connection: ParseRequest resets it and keeps the capacity of Headers.
type Request struct {
	Method     []byte
	Target     []byte // as received: origin-, absolute-, authority- or asterisk-form
	ProtoMinor int    // 0 for HTTP/1.0, 1 for HTTP/1.1
	Headers    Headers

	// Host is the authority the request is for: the absolute-form or authority-form target's
	// authority, else the Host field's value. Nil for an HTTP/1.0 request that has neither.
	Host []byte

	Body          BodyKind // BodyNone, BodyLength or BodyChunked
	ContentLength int64    // when Body == BodyLength
	Close         bool     // the client wants the connection closed after the response
	Expect100     bool     // HTTP/1.1 Expect: 100-continue
	Upgrade       bool     // an Upgrade field and the "upgrade" connection option

	origin    []byte // origin-form of an absolute-form target
	connNames bool   // Connection lists options that may name fields to drop when forwarding
}

func (r *Request) reset() {
	h := r.Headers[:0]
	*r = Request{Headers: h}
}

// OriginTarget returns the target to forward to a backend: the path and query of an
// absolute-form target ("/" when it has none), else Target unchanged.
func (r *Request) OriginTarget() []byte {
	if r.origin != nil {
		return r.origin
	}
	return r.Target
}

// ParseRequest parses the request head at the start of buf into req and returns the number of
// bytes it took, CRLFs included; the body, if any, starts at buf[n:]. It returns ErrNeedMore
// when buf holds only part of the head, or an *Error for a request that must be refused. It
// does not allocate once req.Headers has grown to the number of fields a client sends.
func ParseRequest(buf []byte, lim Limits, req *Request) (n int, err error) {
	lim = lim.withDefaults()
	req.reset()
	line, off, err := nextLine(buf, 0)
	if err != nil {
		return 0, pendingLineError(buf, err, lim)
	}
	if err := req.parseRequestLine(line, lim); err != nil {
		return 0, err
	}
	if off > lim.MaxHeadBytes {
		return 0, ErrHeadTooLarge
	}
	if off, err = parseFields(buf, off, lim, &req.Headers); err != nil {
		return 0, err
	}
	return off, req.decide()
}

// pendingLineError turns ErrNeedMore on an unfinished request line into 414 or 431 once the
// line is longer than the limits allow.
func pendingLineError(buf []byte, err error, lim Limits) error {
	if err != ErrNeedMore {
		return err
	}
	if sp := bytes.IndexByte(buf, ' '); sp >= 0 && len(buf)-sp-1 > lim.MaxTargetBytes+len(" HTTP/1.1\r") {
		return ErrURITooLong
	}
	if len(buf) > lim.MaxHeadBytes {
		return ErrHeadTooLarge
	}
	return ErrNeedMore
}

// parseRequestLine parses method SP request-target SP HTTP-version, exactly one SP apart.
func (r *Request) parseRequestLine(line []byte, lim Limits) error {
	method, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return ErrBadRequestLine
	}
	target, version, ok := bytes.Cut(rest, []byte{' '})
	if !ok || len(target) == 0 {
		return ErrBadRequestLine
	}
	if !isToken(method) {
		return ErrBadMethod
	}
	if len(target) > lim.MaxTargetBytes {
		return ErrURITooLong
	}
	minor, err := parseVersion(version)
	if err != nil {
		return err
	}
	r.Method, r.Target, r.ProtoMinor = method, target, minor
	return r.parseTarget()
}

// parseVersion accepts HTTP/1.0 and HTTP/1.1; other well-formed versions are 505.
func parseVersion(v []byte) (minor int, err error) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' || !isDigit(v[5]) || !isDigit(v[7]) {
		return 0, ErrBadVersion
	}
	if v[5] != '1' || v[7] > '1' {
		return 0, ErrVersion
	}
	return int(v[7] - '0'), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// decide checks the fields and makes the framing and connection decisions.
func (r *Request) decide() error {
	var f fieldFacts
	f.scan(r.Headers)
	if err := r.decideHost(&f); err != nil {
		return err
	}
	var err error
	if r.Body, r.ContentLength, err = f.framing(r.ProtoMinor == 0); err != nil {
		return err
	}
	r.Close = f.close || (r.ProtoMinor == 0 && !f.keepAlive)
	r.Expect100 = f.expect100 && r.ProtoMinor == 1
	r.Upgrade = f.upgrade && f.connUpg
	r.connNames = f.connNames
	return nil
}

// decideHost enforces one Host field (required in HTTP/1.1) and agreement with the target.
func (r *Request) decideHost(f *fieldFacts) error {
	switch {
	case f.hosts > 1:
		return ErrDuplicateHost
	case f.hosts == 0 && r.ProtoMinor == 1:
		return ErrMissingHost
	case f.hosts == 1 && !validHost(f.host):
		return ErrBadHost
	case r.Host == nil:
		r.Host = f.host
	case f.hosts == 1 && !bytes.EqualFold(f.host, r.Host):
		return ErrHostMismatch
	}
	return nil
}
