package h1

import (
	"bufio"

	"io"
)

// maxChunkSize bounds one chunk's size: 2^62, as for Content-Length.
const maxChunkSize = 1 << 62

type chunkState uint8

const (
	chunkSize     chunkState = iota // expecting a chunk-size line
	chunkData                       // inside chunk data
	chunkDataCRLF                   // expecting the CRLF after chunk data
	chunkTrailers                   // after the last chunk, expecting trailer fields
	chunkDone
)

// ChunkedReader decodes a chunked body from a bufio.Reader, returning the chunk data and
// io.EOF after the trailer section. Sizes are strict hex (1 to 16 digits, at most 2^62, no sign,
// prefix or whitespace); extensions are validated, bounded by Limits.MaxChunkLineBytes and
// dropped; every line must end in CRLF. Trailers are parsed with the header rules and are
// available in Trailers after io.EOF, copied into storage the reader owns.
//
// The zero value is unusable; call Reset. Reuse one ChunkedReader per connection: after
// warm-up it allocates nothing per chunk or per body.
type ChunkedReader struct {
	Trailers Headers // valid after Read returned io.EOF, until the next Reset

	br        *bufio.Reader
	lim       Limits
	state     chunkState
	remaining int64 // data bytes left in the current chunk
	err       error
	trailer   []byte // raw trailer section, owned
}

// Reset makes cr decode a new body from br.
func (cr *ChunkedReader) Reset(br *bufio.Reader, lim Limits) {
	*cr = ChunkedReader{
		Trailers: cr.Trailers[:0],
		br:       br,
		lim:      lim.withDefaults(),
		trailer:  cr.trailer[:0],
	}
}

// Read implements io.Reader over the decoded body.
func (cr *ChunkedReader) Read(p []byte) (int, error) {
	for cr.err == nil {
		switch cr.state {
		case chunkSize:
			cr.err = cr.readSizeLine()
		case chunkData:
			if len(p) == 0 {
				return 0, nil
			}
			return cr.readData(p)
		case chunkDataCRLF:
			cr.err = cr.readDataCRLF()
		case chunkTrailers:
			cr.err = cr.readTrailers()
		}
	}
	return 0, cr.err
}

func (cr *ChunkedReader) readData(p []byte) (int, error) {
	if int64(len(p)) > cr.remaining {
		p = p[:cr.remaining]
	}
	n, err := cr.br.Read(p)
	cr.remaining -= int64(n)
	if cr.remaining == 0 {
		cr.state = chunkDataCRLF
	}
	if err == io.EOF {
		err = nil
		if n == 0 {
			cr.err = ErrBodyTruncated
			err = cr.err
		}
	}
	return n, err
}

func (cr *ChunkedReader) readDataCRLF() error {
	b, err := cr.br.Peek(2)
	if len(b) == 2 && b[0] == '\r' && b[1] == '\n' {
		cr.br.Discard(2)
		cr.state = chunkSize
		return nil
	}
	if err != nil && len(b) < 2 && (len(b) == 0 || b[0] == '\r') {
		return ErrBodyTruncated
	}
	return ErrMissingChunkCRLF
}

// readLine reads one line, CRLF included, of at most max bytes.
func (cr *ChunkedReader) readLine(max int, tooLong error) ([]byte, error) {
	line, err := cr.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > max:
		return nil, tooLong
	case err != nil:
		return nil, ErrBodyTruncated
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, ErrBareLF
	}
	return line, nil
}

func (cr *ChunkedReader) readSizeLine() error {
	line, err := cr.readLine(cr.lim.MaxChunkLineBytes, ErrChunkLineTooLong)
	if err != nil {
		return err
	}
	size, rest, err := parseChunkSize(line[:len(line)-2])
	if err != nil {
		return err
	}
	if !validExtensions(rest) {
		return ErrBadChunkExtension
	}
	cr.remaining = size
	cr.state = chunkData
	if size == 0 {
		cr.state = chunkTrailers
	}
	return nil
}

// parseChunkSize parses 1 to 16 hex digits at the start of line, returning the extensions
// that follow; anything else after the digits (space, "x" of "0x") is a bad size.
func parseChunkSize(line []byte) (int64, []byte, error) {
	var size int64
	i := 0
	for ; i < len(line) && isHex(line[i]); i++ {
		if i == 16 || size > maxChunkSize>>4 {
			return 0, nil, ErrBadChunkSize
		}
		size = size<<4 | int64(hexValue(line[i]))
	}
	if i == 0 || size > maxChunkSize || (i < len(line) && line[i] != ';') {
		return 0, nil, ErrBadChunkSize
	}
	return size, line[i:], nil
}

// validExtensions checks *( ";" token [ "=" ( token / quoted-string ) ] ) with no whitespace.
func validExtensions(ext []byte) bool {
	for len(ext) > 0 {
		if ext[0] != ';' {
			return false
		}
		name := tokenPrefix(ext[1:])
		if name == 0 {
			return false
		}
		ext = ext[1+name:]
		if len(ext) > 0 && ext[0] == '=' {
			n := extValueLen(ext[1:])
			if n == 0 {
				return false
			}
			ext = ext[1+n:]
		}
	}
	return true
}

func tokenPrefix(b []byte) int {
	i := 0
	for i < len(b) && tchar[b[i]] {
		i++
	}
	return i
}

// extValueLen returns the length of a token or quoted-string at the start of b, 0 if none.
func extValueLen(b []byte) int {
	if len(b) == 0 || b[0] != '"' {
		return tokenPrefix(b)
	}
	for i := 1; i < len(b); i++ {
		switch {
		case b[i] == '"':
			return i + 1
		case b[i] == '\\' && i+1 < len(b) && fieldByte[b[i+1]]:
			i++
		case b[i] == '\\' || !fieldByte[b[i]]:
			return 0
		}
	}
	return 0
}

// readTrailers copies the trailer section into cr.trailer, then parses it with the header rules.
func (cr *ChunkedReader) readTrailers() error {
	for {
		line, err := cr.readLine(cr.lim.MaxHeadBytes, ErrTrailersTooLarge)
		if err != nil {
			return err
		}
		if len(cr.trailer)+len(line) > cr.lim.MaxHeadBytes {
			return ErrTrailersTooLarge
		}
		cr.trailer = append(cr.trailer, line...)
		if len(line) == 2 {
			break
		}
	}
	if _, err := parseFields(cr.trailer, 0, cr.lim, &cr.Trailers); err != nil {
		return err
	}
	cr.state = chunkDone
	return io.EOF
}

// ChunkedWriter encodes a body with the chunked transfer coding: each Write becomes one chunk,
// Close writes the last chunk and trailers. Wrap a bufio.Writer to keep syscalls down. Reuse one
// per connection with Reset; it does not allocate.
type ChunkedWriter struct {
	w    io.Writer
	size [18]byte // hex size line scratch
}

// Reset makes cw write a new body to w.
func (cw *ChunkedWriter) Reset(w io.Writer) { cw.w = w }

var crlf = []byte("\r\n")

// Write writes p as one chunk. An empty p writes nothing (an empty chunk would end the body).
func (cw *ChunkedWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	line := appendHex(cw.size[:0], uint64(len(p)))
	line = append(line, '\r', '\n')
	if _, err := cw.w.Write(line); err != nil {
		return 0, err
	}
	if _, err := cw.w.Write(p); err != nil {
		return 0, err
	}
	_, err := cw.w.Write(crlf)
	return len(p), err
}

func appendHex(dst []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}

var lastChunk = []byte("0\r\n")

// Close ends the body: the last chunk, the trailer fields that may be forwarded (framing,
// routing and hop-by-hop fields are dropped), and the final CRLF. It does not close w.
func (cw *ChunkedWriter) Close(trailers Headers) error {
	if _, err := cw.w.Write(lastChunk); err != nil {
		return err
	}
	for _, h := range trailers {
		if forbiddenTrailer(h.Name) {
			continue
		}
		if err := writeField(cw.w, h.Name, h.Value); err != nil {
			return err
		}
	}
	_, err := cw.w.Write(crlf)
	return err
}

func forbiddenTrailer(name []byte) bool {
	return isHopByHop(name) || equalFold(name, "content-length") || equalFold(name, "host") ||
		equalFold(name, "trailer")
}

var colonSP = []byte(": ")

func writeField(w io.Writer, name, value []byte) error {
	for _, b := range [...][]byte{name, colonSP, value, crlf} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// CopyChunked forwards a chunked body from src to dst re-encoded, one chunk per read into buf,
// then the trailers. It returns the body bytes copied.
func CopyChunked(dst *ChunkedWriter, src *ChunkedReader, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF {
			return total, dst.Close(src.Trailers)
		}
		if err != nil {
			return total, err
		}
	}
}
