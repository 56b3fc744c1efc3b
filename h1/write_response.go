package h1

import "strconv"

// ResponseOptions says how the client side of a proxied exchange looks.
type ResponseOptions struct {
	ClientMinor int    // the client's HTTP minor version: 0 or 1
	Via         string // a new Via field, e.g. "1.1 fulcrum"; empty adds none
	Close       bool   // fulcrum closes the client connection after this response
}

// AppendResponseHead appends the head to send the client for a backend response: the status
// line in HTTP/1.1, the fields as received minus hop-by-hop ones (as for requests, Upgrade kept
// on 101) and minus framing, Via, and framing of fulcrum's choosing. It returns how the body
// must be sent:
//
//   - BodyLength: copy exactly resp.ContentLength bytes ("Content-Length" is emitted);
//   - BodyChunked: re-encode with ChunkedWriter (a chunked or close-delimited backend body for
//     an HTTP/1.1 client, so the client connection can stay open);
//   - BodyUntilClose: copy until the backend closes, then close the client connection (an
//     HTTP/1.0 client cannot read chunked); "Connection: close" is emitted;
//   - BodyNone: no body; a Content-Length received on a bodiless response (HEAD, 304) is kept,
//     since there it describes the representation, not this message.
//
// It allocates only when dst lacks capacity.
func AppendResponseHead(dst []byte, resp *Response, opt *ResponseOptions) ([]byte, BodyKind) {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(resp.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, resp.Reason...)
	dst = append(dst, '\r', '\n')
	for _, h := range resp.Headers {
		if responseForwardable(resp, h.Name) {
			dst = appendHeaderLine(dst, h.Name, h.Value)
		}
	}
	if opt.Via != "" {
		dst = appendHeaderLine(dst, "Via", opt.Via)
	}
	kind := clientBodyKind(resp.Body, opt.ClientMinor)
	dst = appendResponseFraming(dst, resp, kind, opt.Close)
	return append(dst, '\r', '\n'), kind
}

func responseForwardable(resp *Response, name []byte) bool {
	switch {
	case isHopByHop(name):
		return false
	case equalFold(name, "content-length"):
		return resp.Body == BodyNone
	case equalFold(name, "upgrade"):
		return resp.Status == 101
	}
	return !resp.connNames || !namedByConnection(resp.Headers, name)
}

// clientBodyKind chooses the framing toward the client for a backend body of kind k.
func clientBodyKind(k BodyKind, clientMinor int) BodyKind {
	switch {
	case k == BodyChunked && clientMinor == 0:
		return BodyUntilClose
	case k == BodyUntilClose && clientMinor == 1:
		return BodyChunked
	}
	return k
}

func appendResponseFraming(dst []byte, resp *Response, kind BodyKind, closeClient bool) []byte {
	switch kind {
	case BodyLength:
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, resp.ContentLength, 10)
		dst = append(dst, '\r', '\n')
	case BodyChunked:
		dst = appendHeaderLine(dst, "Transfer-Encoding", "chunked")
	}
	switch {
	case resp.Status == 101:
		dst = appendHeaderLine(dst, "Connection", "upgrade")
	case closeClient || kind == BodyUntilClose:
		dst = appendHeaderLine(dst, "Connection", "close")
	}
	return dst
}
