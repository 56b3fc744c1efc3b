package h1

import "io"

// ContentLengthReader reads exactly N bytes of body from an underlying reader, then io.EOF.
// A body cut short by the peer yields ErrBodyTruncated. Reuse one per connection with Reset.
type ContentLengthReader struct {
	r         io.Reader
	remaining int64
}

// Reset makes c read a body of n bytes from r.
func (c *ContentLengthReader) Reset(r io.Reader, n int64) { c.r, c.remaining = r, n }

// Remaining returns the body bytes not read yet.
func (c *ContentLengthReader) Remaining() int64 { return c.remaining }

// Read implements io.Reader; it never reads past the body.
func (c *ContentLengthReader) Read(p []byte) (int, error) {
	if c.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.r.Read(p)
	c.remaining -= int64(n)
	if err == io.EOF && c.remaining > 0 {
		err = ErrBodyTruncated
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}
