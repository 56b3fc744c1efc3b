// Package h1 owns fulcrum's HTTP/1.1 wire format: a strict, allocation-free parser for request
// and response heads (RFC 9112), the framing decision that says where a message body ends, a
// streaming chunked decoder and encoder, a Content-Length body reader, and the writers that
// append a normalized request head for a backend (AppendRequestHead) and a normalized response
// head for a client (AppendResponseHead).
//
// The parser works over bytes the caller has already read (for example bufio.Reader.Peek of
// everything buffered). It returns ErrNeedMore while the head is incomplete and never copies:
// a Request holds views into the caller's buffer, valid until that buffer is reused. A Request
// (and its Headers slice) is meant to be reused across the requests of a connection, so the
// steady state allocates nothing.
//
// Strictness is the point: anything that two HTTP implementations could frame differently is
// rejected with an *Error carrying the status to answer (400, 414, 431, 501, 505), so fulcrum and
// the backend behind it always see exactly one and the same request. The decisions that go
// beyond the letter of RFC 9112 are:
//
//   - Content-Length may appear once, as a plain decimal number no larger than 2^62. Two fields,
//     even with identical values, or a list value ("5, 5"), are rejected (400).
//   - Transfer-Encoding must be exactly "chunked" (case-insensitive, surrounded by optional
//     whitespace: SP or HT). A final coding other than chunked, chunked applied twice, or an empty
//     list element is 400; another coding before chunked ("gzip, chunked") is 501, since fulcrum
//     does not decode it and would otherwise have to forward a coding it cannot vouch for.
//   - Content-Length together with Transfer-Encoding is rejected (400) rather than letting
//     Transfer-Encoding win, and Transfer-Encoding in an HTTP/1.0 message is rejected.
//   - Obsolete line folding, bare LF line ends, whitespace before the colon, and control
//     characters (other than HT inside values) are rejected, never repaired.
//   - An absolute-form target ("GET http://a.example/ HTTP/1.1") is accepted for http and https;
//     its authority becomes Request.Host and a Host field that names another authority is
//     rejected (400) instead of ignored, so routing and the backend cannot disagree.
//   - Chunk extensions are parsed (token or quoted-string values, no whitespace), bounded by
//     Limits.MaxChunkLineBytes, and dropped.
//   - ParseRequest does not skip empty lines before the request line; RequestReader skips up to
//     four stray CRLFs between pipelined requests (RFC 9112 §2.2).
//
// When forwarding (AppendRequestHead), these fields are hop-by-hop and dropped: Connection and
// every field it names, Keep-Alive, TE, Transfer-Encoding, Proxy-Connection, Proxy-Authenticate,
// Proxy-Authorization (credentials meant for a proxy never reach an origin), and Upgrade unless
// the request upgrades. Host and framing are always re-emitted by fulcrum itself, so a Connection
// option cannot remove them, and the client's X-Forwarded-Proto/-Host are replaced.
//
// Connection-level pieces: RequestReader reads pipelined requests from a client connection and
// hands out the matching body reader; Pool keeps idle keep-alive connections to backends;
// SocketIO reads and writes a socket with non-blocking system calls that skip the runtime's
// syscall bookkeeping (Linux), which Pool's connections use and a proxy may use on its clients.
//
// Responses from backends are parsed with the same rules; any error from ParseResponse means the
// backend is at fault and the client should get 502 Bad Gateway, whatever Error.Status says.
package h1
