package health

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// framing says how a response body ends.
type framing struct {
	chunked       bool
	contentLength int64 // -1: unknown, the body runs until the connection closes
}

// readHeaders reads header lines up to the blank line that ends them and returns the body
// framing they declare. It rejects malformed lines, conflicting Content-Length values and
// header sections over maxHeaderBytes.
func readHeaders(br *bufio.Reader) (framing, error) {
	f := framing{contentLength: -1}
	for budget := maxHeaderBytes; ; {
		line, err := readLine(br)
		if err != nil {
			return f, fmt.Errorf("read headers: %w", err)
		}
		if line == "" {
			return f, nil
		}
		if budget -= len(line) + 2; budget < 0 {
			return f, fmt.Errorf("headers longer than %d bytes", maxHeaderBytes)
		}
		if err := f.note(line); err != nil {
			return f, err
		}
	}
}

// note folds one header line into f.
func (f *framing) note(line string) error {
	name, value, ok := strings.Cut(line, ":")
	if !ok || name == "" || !printable(name) {
		return fmt.Errorf("malformed header line %q", truncate(line, 64))
	}
	value = strings.TrimSpace(value)
	switch {
	case strings.EqualFold(name, "Transfer-Encoding"):
		codings := strings.Split(value, ",")
		f.chunked = strings.EqualFold(strings.TrimSpace(codings[len(codings)-1]), "chunked")
	case strings.EqualFold(name, "Content-Length"):
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 0 || (f.contentLength >= 0 && n != f.contentLength) {
			return fmt.Errorf("bad Content-Length %q", truncate(value, 32))
		}
		f.contentLength = n
	}
	return nil
}

// readBody reads the headers that follow a final status line, then at most limit bytes of
// the body, however it is framed. Transfer-Encoding chunked takes precedence over
// Content-Length, as HTTP/1.1 requires.
func readBody(br *bufio.Reader, status, limit int) ([]byte, error) {
	f, err := readHeaders(br)
	switch {
	case err != nil:
		return nil, err
	case status == 204 || status == 304:
		return nil, nil
	case f.chunked:
		return readChunked(br, limit)
	case f.contentLength >= 0:
		return readExactly(br, min(f.contentLength, int64(limit)))
	}
	body, err := io.ReadAll(io.LimitReader(br, int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

func readExactly(br *bufio.Reader, n int64) ([]byte, error) {
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

// readChunked decodes a chunked body until its last chunk or until limit bytes are read.
// Chunk extensions and trailers are ignored.
func readChunked(br *bufio.Reader, limit int) ([]byte, error) {
	var body []byte
	for len(body) < limit {
		size, err := readChunkSize(br)
		if err != nil || size == 0 {
			return body, err
		}
		take := min(size, int64(limit-len(body)))
		chunk, err := readExactly(br, take)
		if err != nil {
			return nil, err
		}
		body = append(body, chunk...)
		if take == size {
			if err := readChunkEnd(br); err != nil {
				return nil, err
			}
		}
	}
	return body, nil
}

func readChunkSize(br *bufio.Reader) (int64, error) {
	line, err := readLine(br)
	if err != nil {
		return 0, fmt.Errorf("read chunk size: %w", err)
	}
	hex, _, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(hex), 16, 64)
	if err != nil || size < 0 {
		return 0, fmt.Errorf("bad chunk size line %q", truncate(line, 32))
	}
	return size, nil
}

func readChunkEnd(br *bufio.Reader) error {
	line, err := readLine(br)
	if err == nil && line != "" {
		err = errors.New("chunk not followed by CRLF")
	}
	if err != nil {
		return fmt.Errorf("read chunk end: %w", err)
	}
	return nil
}
