package h1

import "strconv"

// Forwarding is what AppendRequestHead adds for the backend. Empty fields add nothing.
type Forwarding struct {
	Via      string // received-protocol and pseudonym for a new Via field, e.g. "1.1 fulcrum"
	ClientIP []byte // the client's address, appended to X-Forwarded-For
	Proto    string // "http" or "https", sent as X-Forwarded-Proto
	// KeepClientXFF keeps the X-Forwarded-For values the client sent (for a trusted
	// downstream proxy) and appends ClientIP to them; otherwise they are dropped.
	KeepClientXFF bool
	// PassXForwarded forwards the client's X-Forwarded-* fields as received and adds none
	// (ClientIP, Proto and KeepClientXFF are then unused).
	PassXForwarded bool
}

// isHopByHop reports fields that describe one connection and are never forwarded as read.
// Proxy-Authorization and Proxy-Authenticate are included: credentials addressed to a proxy
// must not reach the origin, and fulcrum is not a proxy that authenticates. Upgrade is handled
// by the caller of this function, since it is forwarded when the request upgrades.
func isHopByHop(name []byte) bool {
	switch len(name) {
	case 2:
		return equalFold(name, "te")
	case 10:
		return equalFold(name, "connection") || equalFold(name, "keep-alive")
	case 16:
		return equalFold(name, "proxy-connection")
	case 17:
		return equalFold(name, "transfer-encoding")
	case 18:
		return equalFold(name, "proxy-authenticate")
	case 19:
		return equalFold(name, "proxy-authorization")
	}
	return false
}

// AppendRequestHead appends the head to send a backend for req: the request line in HTTP/1.1
// with the origin-form target, Host, the fields as received minus hop-by-hop ones (the fixed
// set, Upgrade unless req.Upgrade, and any field named by Connection), minus framing fields and
// the client's X-Forwarded-*, then Via, X-Forwarded-For/-Proto/-Host and normalized framing:
// "Content-Length: N" or "Transfer-Encoding: chunked", so fulcrum and the backend delimit the
// body identically. A chunked body must then be sent re-encoded (CopyChunked). It allocates
// only when dst lacks capacity.
func AppendRequestHead(dst []byte, req *Request, fw *Forwarding) []byte {
	dst = appendRequestLine(dst, req)
	if req.Host != nil {
		dst = appendHeaderLine(dst, "Host", req.Host)
	}
	for _, h := range req.Headers {
		if forwardable(req, fw, h.Name) {
			dst = appendHeaderLine(dst, h.Name, h.Value)
		}
	}
	dst = appendForwarding(dst, req, fw)
	dst = appendFraming(dst, req)
	return append(dst, '\r', '\n')
}

func appendRequestLine(dst []byte, req *Request) []byte {
	dst = append(dst, req.Method...)
	dst = append(dst, ' ')
	dst = append(dst, req.OriginTarget()...)
	return append(dst, " HTTP/1.1\r\n"...)
}

func appendHeaderLine[N, V string | []byte](dst []byte, name N, value V) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// forwardable reports whether a received field is copied to the backend as read.
func forwardable(req *Request, fw *Forwarding, name []byte) bool {
	switch {
	case isHopByHop(name), equalFold(name, "host"), equalFold(name, "content-length"):
		return false
	case equalFold(name, "upgrade"):
		return req.Upgrade
	case !fw.PassXForwarded && isXForwarded(name):
		return false // re-emitted by appendForwarding
	}
	return !req.connNames || !namedByConnection(req.Headers, name)
}

// namedByConnection reports whether a Connection field lists name as a connection option.
func namedByConnection(h Headers, name []byte) bool {
	for i := range h {
		if !equalFold(h[i].Name, "connection") {
			continue
		}
		for list := h[i].Value; list != nil; {
			var opt []byte
			opt, list = nextElement(list)
			if len(opt) == len(name) && equalFoldBytes(opt, name) {
				return true
			}
		}
	}
	return false
}

func equalFoldBytes(a, b []byte) bool {
	for i := range a {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// isXForwarded reports the X-Forwarded-For/-Proto/-Host fields.
func isXForwarded(name []byte) bool {
	return equalFold(name, "x-forwarded-for") || equalFold(name, "x-forwarded-proto") || equalFold(name, "x-forwarded-host")
}

func appendForwarding(dst []byte, req *Request, fw *Forwarding) []byte {
	if fw.Via != "" {
		dst = appendHeaderLine(dst, "Via", fw.Via)
	}
	if fw.PassXForwarded {
		return dst
	}
	dst = appendXFF(dst, req, fw)
	if fw.Proto != "" {
		dst = appendHeaderLine(dst, "X-Forwarded-Proto", fw.Proto)
	}
	if req.Host != nil {
		dst = appendHeaderLine(dst, "X-Forwarded-Host", req.Host)
	}
	return dst
}

// appendXFF emits one X-Forwarded-For: the client's own values if kept, then ClientIP.
func appendXFF(dst []byte, req *Request, fw *Forwarding) []byte {
	start := len(dst)
	dst = append(dst, "X-Forwarded-For: "...)
	values := len(dst)
	for _, h := range req.Headers {
		if fw.KeepClientXFF && equalFold(h.Name, "x-forwarded-for") && len(h.Value) > 0 {
			dst = appendListElement(dst, values, h.Value)
		}
	}
	if len(fw.ClientIP) > 0 {
		dst = appendListElement(dst, values, fw.ClientIP)
	}
	if len(dst) == values {
		return dst[:start]
	}
	return append(dst, '\r', '\n')
}

func appendListElement(dst []byte, listStart int, v []byte) []byte {
	if len(dst) > listStart {
		dst = append(dst, ", "...)
	}
	return append(dst, v...)
}

func appendFraming(dst []byte, req *Request) []byte {
	switch req.Body {
	case BodyLength:
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, req.ContentLength, 10)
		dst = append(dst, '\r', '\n')
	case BodyChunked:
		dst = appendHeaderLine(dst, "Transfer-Encoding", "chunked")
	}
	if req.Upgrade {
		dst = appendHeaderLine(dst, "Connection", "upgrade")
	}
	return dst
}
