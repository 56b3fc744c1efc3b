package h1

// BodyKind says how a message body is delimited.
type BodyKind uint8

const (
	BodyNone       BodyKind = iota // no body at all
	BodyLength                     // exactly ContentLength bytes (possibly 0)
	BodyChunked                    // chunked transfer coding, read with ChunkedReader
	BodyUntilClose                 // responses only: everything until the backend closes
)

func (k BodyKind) String() string {
	switch k {
	case BodyNone:
		return "none"
	case BodyLength:
		return "content-length"
	case BodyChunked:
		return "chunked"
	case BodyUntilClose:
		return "until-close"
	}
	return "invalid"
}

// maxContentLength is the largest Content-Length accepted: 2^62.
const maxContentLength = 1 << 62

// fieldFacts is what one pass over a field section learns for the framing decision.
type fieldFacts struct {
	lengths   int    // Content-Length fields seen
	length    []byte // value of the last one
	encodings int    // Transfer-Encoding fields seen
	codings   int    // transfer-coding list elements, all fields together
	chunked   int    // elements equal to "chunked"
	lastChunk bool   // the final element is chunked
	emptyElem bool   // an empty list element was seen
	hosts     int
	host      []byte
	close     bool // Connection: close
	keepAlive bool // Connection: keep-alive
	connUpg   bool // Connection: upgrade
	connNames bool // Connection names a field (an option other than close, keep-alive, upgrade)
	upgrade   bool // an Upgrade field is present
	expect100 bool
}

func (f *fieldFacts) scan(h Headers) {
	for i := range h {
		f.note(h[i].Name, h[i].Value)
	}
}

func (f *fieldFacts) note(name, value []byte) {
	switch {
	case equalFold(name, "content-length"):
		f.lengths++
		f.length = value
	case equalFold(name, "transfer-encoding"):
		f.encodings++
		f.noteCodings(value)
	case equalFold(name, "host"):
		f.hosts++
		f.host = value
	case equalFold(name, "connection"):
		f.noteConnection(value)
	case equalFold(name, "upgrade"):
		f.upgrade = true
	case equalFold(name, "expect"):
		f.expect100 = equalFold(value, "100-continue")
	}
}

func (f *fieldFacts) noteCodings(list []byte) {
	for list != nil {
		var elem []byte
		elem, list = nextElement(list)
		f.codings++
		f.emptyElem = f.emptyElem || len(elem) == 0
		f.lastChunk = equalFold(elem, "chunked")
		if f.lastChunk {
			f.chunked++
		}
	}
}

func (f *fieldFacts) noteConnection(list []byte) {
	for list != nil {
		var opt []byte
		opt, list = nextElement(list)
		f.close = f.close || equalFold(opt, "close")
		f.keepAlive = f.keepAlive || equalFold(opt, "keep-alive")
		f.connUpg = f.connUpg || equalFold(opt, "upgrade")
		f.connNames = f.connNames || !(equalFold(opt, "close") || equalFold(opt, "keep-alive") || equalFold(opt, "upgrade"))
	}
}

// framing decides between Content-Length and chunked from the facts, for a message that may
// have a body. http10 says the message is HTTP/1.0. It returns BodyNone when neither is present.
func (f *fieldFacts) framing(http10 bool) (BodyKind, int64, error) {
	switch {
	case f.encodings > 0 && f.lengths > 0:
		return 0, 0, ErrLengthAndEncoding
	case f.encodings > 0:
		return f.codingFraming(http10)
	case f.lengths > 1:
		return 0, 0, ErrDuplicateLength
	case f.lengths == 1:
		n, ok := parseLength(f.length)
		if !ok {
			return 0, 0, ErrBadContentLength
		}
		return BodyLength, n, nil
	}
	return BodyNone, 0, nil
}

func (f *fieldFacts) codingFraming(http10 bool) (BodyKind, int64, error) {
	switch {
	case http10:
		return 0, 0, ErrEncodingInHTTP10
	case f.emptyElem || f.chunked > 1 || !f.lastChunk:
		return 0, 0, ErrBadTransferCoding
	case f.codings > 1:
		return 0, 0, ErrUnsupportedCoding
	}
	return BodyChunked, 0, nil
}

// parseLength parses 1*DIGIT up to maxContentLength: no sign, no spaces, no list.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' || n > maxContentLength/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= maxContentLength
}
