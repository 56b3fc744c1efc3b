package h1

import (
	"bufio"
	"io"
)

// maxEmptyLines is how many stray CRLFs RequestReader skips before a request line (RFC 9112
// §2.2 asks servers to ignore at least one, sent by some clients after a body).
const maxEmptyLines = 4

// RequestReader reads the pipelined requests of one client connection. Its buffer holds a
// whole head, so a head larger than Limits.MaxHeadBytes is refused with 431, and bytes a client
// sent ahead (pipelined requests) stay buffered for the next call to Next.
//
// One goroutine owns a RequestReader. It allocates its buffer once and nothing per request.
type RequestReader struct {
	br   *bufio.Reader
	lim  Limits
	req  Request
	cl   ContentLengthReader
	ch   ChunkedReader
	body io.Reader
}

// NewRequestReader reads requests from r; it does no I/O until Next.
func NewRequestReader(r io.Reader, lim Limits) *RequestReader {
	lim = lim.withDefaults()
	return &RequestReader{br: bufio.NewReaderSize(r, lim.MaxHeadBytes), lim: lim}
}

// Next discards what is left of the previous request's body, then reads and parses the next
// head. The Request and its views are valid until Next is called again, but only until the
// body is read: read the body after you are done with the head (for a proxy, after
// AppendRequestHead). body yields exactly the request body, with io.EOF at its end. At a clean
// end of the connection between requests Next returns io.EOF.
func (rr *RequestReader) Next() (req *Request, body io.Reader, err error) {
	if err := rr.discardBody(); err != nil {
		return nil, nil, err
	}
	if err := rr.skipEmptyLines(); err != nil {
		return nil, nil, err
	}
	n, err := rr.readHead()
	if err != nil {
		return nil, nil, err
	}
	rr.br.Discard(n)
	return &rr.req, rr.bodyFor(&rr.req), nil
}

func (rr *RequestReader) discardBody() error {
	if rr.body == nil {
		return nil
	}
	_, err := io.Copy(io.Discard, rr.body)
	rr.body = nil
	return err
}

func (rr *RequestReader) skipEmptyLines() error {
	for range maxEmptyLines {
		b, err := rr.br.Peek(2)
		if len(b) == 0 && err != nil {
			return err // io.EOF: the client closed between requests
		}
		if len(b) < 2 || b[0] != '\r' || b[1] != '\n' {
			return nil
		}
		rr.br.Discard(2)
	}
	return nil
}

// readHead parses what is buffered, reading more while the head is incomplete.
func (rr *RequestReader) readHead() (int, error) {
	for {
		buf, _ := rr.br.Peek(rr.br.Buffered())
		n, err := ParseRequest(buf, rr.lim, &rr.req)
		if err != ErrNeedMore {
			return n, err
		}
		if rr.br.Buffered() == rr.br.Size() {
			return 0, ErrHeadTooLarge
		}
		if _, err := rr.br.Peek(rr.br.Buffered() + 1); err != nil {
			return 0, headReadError(err, rr.br.Buffered())
		}
	}
}

// headReadError reports a connection that ended inside a head as truncated.
func headReadError(err error, buffered int) error {
	if err == io.EOF && buffered > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (rr *RequestReader) bodyFor(req *Request) io.Reader {
	switch req.Body {
	case BodyLength:
		rr.cl.Reset(rr.br, req.ContentLength)
		rr.body = &rr.cl
	case BodyChunked:
		rr.ch.Reset(rr.br, rr.lim)
		rr.body = &rr.ch
	default:
		rr.cl.Reset(rr.br, 0)
		rr.body = &rr.cl
	}
	return rr.body
}

// Trailers returns the trailer fields of the last chunked body once it has been read to
// io.EOF; nil otherwise.
func (rr *RequestReader) Trailers() Headers {
	if rr.body != &rr.ch || rr.ch.state != chunkDone {
		return nil
	}
	return rr.ch.Trailers
}
