// Package proxyproto reads and writes PROXY protocol headers, versions 1 (text) and 2
// (binary), as HAProxy's specification defines them. It owns only the byte format; who is
// trusted to send a header is the listener's decision.
//
// Parse is strict: anything that is not exactly a header the specification allows is an
// error, and it never panics on any input (see FuzzParse).
package proxyproto

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
)

// MaxHeaderLen is the longest header Parse accepts: a v1 line is at most 107 bytes; a v2
// header's address block and TLVs are capped at MaxHeaderLen-16 bytes.
const MaxHeaderLen = 4096

// ErrShort means data is a valid beginning of a header but does not yet hold all of it.
var ErrShort = errors.New("proxyproto: header incomplete")

// ErrMalformed is wrapped by every error about bytes that cannot begin a valid header.
var ErrMalformed = errors.New("proxyproto: malformed header")

// Header is a parsed PROXY header.
type Header struct {
	Version int // 1 or 2
	// Local is true for v2 LOCAL, v1 UNKNOWN, and families without IP addresses: the
	// connection's own addresses apply and Source and Dest are zero.
	Local        bool
	Source, Dest netip.AddrPort
}

var (
	v1Prefix    = []byte("PROXY ")
	v2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

const (
	v1MaxLen = 107
	v2HdrLen = 16
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Parse reads the header data begins with and returns it with its length in bytes. It
// returns ErrShort when more bytes are needed, or an error wrapping ErrMalformed.
func Parse(data []byte) (Header, int, error) {
	switch {
	case hasPrefix(data, v1Prefix):
		return parseV1(data)
	case hasPrefix(data, v2Signature):
		return parseV2(data)
	case isPrefixOf(data, v1Prefix) || isPrefixOf(data, v2Signature):
		return Header{}, 0, ErrShort
	}
	return Header{}, 0, malformed("no PROXY protocol signature")
}

func hasPrefix(data, p []byte) bool  { return bytes.HasPrefix(data, p) }
func isPrefixOf(data, p []byte) bool { return bytes.HasPrefix(p, data) }
