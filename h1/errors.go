package h1

import (
	"errors"
	"strconv"
)

// ErrNeedMore reports that the buffer ends before the message head does: read more bytes and
// call the parser again with the longer buffer.
var ErrNeedMore = errors.New("h1: incomplete message head, read more")

// Error is a protocol violation. Status is the HTTP status a server should answer with before
// closing the connection. Errors are package-level values, so returning one allocates nothing;
// compare with errors.Is or ==.
type Error struct {
	Status int    // 400, 414, 431, 501 or 505
	Reason string // what was wrong, for logs
}

func (e *Error) Error() string { return "h1: " + strconv.Itoa(e.Status) + " " + e.Reason }

// StatusBadGateway is what a proxy answers a client when ParseResponse or a body reader on the
// backend side fails, whatever the Error's own Status.
const StatusBadGateway = 502

func protoErr(status int, reason string) *Error { return &Error{Status: status, Reason: reason} }

// Head errors.
var (
	ErrBadRequestLine    = protoErr(400, "malformed request line")
	ErrBadMethod         = protoErr(400, "method is not a token")
	ErrBadTarget         = protoErr(400, "malformed request target")
	ErrURITooLong        = protoErr(414, "request target too long")
	ErrBadVersion        = protoErr(400, "malformed HTTP version")
	ErrVersion           = protoErr(505, "HTTP version not supported")
	ErrBareLF            = protoErr(400, "line ends in LF without CR")
	ErrObsFold           = protoErr(400, "obsolete line folding")
	ErrBadFieldName      = protoErr(400, "invalid header field name")
	ErrBadFieldValue     = protoErr(400, "invalid character in header field value")
	ErrHeadTooLarge      = protoErr(431, "header section too large")
	ErrTooManyFields     = protoErr(431, "too many header fields")
	ErrBadStatusLine     = protoErr(400, "malformed status line")
	ErrBadHost           = protoErr(400, "invalid Host")
	ErrMissingHost       = protoErr(400, "HTTP/1.1 request without Host")
	ErrDuplicateHost     = protoErr(400, "more than one Host field")
	ErrHostMismatch      = protoErr(400, "Host differs from the absolute-form target")
	ErrDuplicateLength   = protoErr(400, "more than one Content-Length")
	ErrBadContentLength  = protoErr(400, "invalid Content-Length")
	ErrLengthAndEncoding = protoErr(400, "both Content-Length and Transfer-Encoding")
	ErrBadTransferCoding = protoErr(400, "final transfer coding is not a single chunked")
	ErrUnsupportedCoding = protoErr(501, "transfer coding other than chunked")
	ErrEncodingInHTTP10  = protoErr(400, "Transfer-Encoding in an HTTP/1.0 message")
	ErrBadChunkSize      = protoErr(400, "invalid chunk size")
	ErrBadChunkExtension = protoErr(400, "invalid chunk extension")
	ErrChunkLineTooLong  = protoErr(400, "chunk size line too long")
	ErrMissingChunkCRLF  = protoErr(400, "chunk data not followed by CRLF")
	ErrTrailersTooLarge  = protoErr(431, "trailer section too large")
	ErrBodyTruncated     = protoErr(400, "connection closed inside the body")
)
