// Package sni reads the server name from a TLS ClientHello without terminating TLS. It owns
// only the parsing: the caller reads the bytes, asks Parse whether they hold a whole
// ClientHello, and replays them to the backend unchanged.
//
// Parse is strict: a record that is not a handshake, a message that is not a ClientHello, a
// length that points past its container, a vector that does not end where its length says, or
// a malformed host name is an error. It never panics on any input (see FuzzParse).
package sni

import (
	"errors"
	"fmt"
)

// MaxHelloBytes is the largest ClientHello handshake message Parse accepts. Hellos with
// post-quantum key shares are about 2 KiB; 32 KiB leaves room for large extensions.
const MaxHelloBytes = 32 << 10

// ErrShort means data is a valid beginning of a ClientHello but does not yet hold all of it:
// read more and call Parse again.
var ErrShort = errors.New("sni: ClientHello incomplete")

// ErrMalformed is wrapped by every error about bytes that cannot begin a valid ClientHello.
var ErrMalformed = errors.New("sni: malformed ClientHello")

const (
	recordHeaderLen     = 5
	maxRecordLen        = 1 << 14
	typeHandshake       = 22
	typeClientHello     = 1
	extServerName       = 0
	nameTypeHostName    = 0
	handshakeHeaderLen  = 4
	maxHostNameLen      = 255
	clientRandomLen     = 32
	maxSessionIDLen     = 32
	legacyVersionLength = 2
)

// Parse reports the server name in the ClientHello that data begins with: "" when the hello
// has no server_name extension. It returns ErrShort when more bytes are needed, or an error
// wrapping ErrMalformed. Bytes after the ClientHello are ignored. When the hello fits in one
// TLS record (nearly always) Parse does not allocate except for the returned name.
func Parse(data []byte) (string, error) {
	msg, err := handshakeMessage(data)
	if err != nil {
		return "", err
	}
	return parseHello(msg)
}

// HelloLen returns how many bytes of data the records carrying the ClientHello span, so a
// caller knows where the hello ends. It returns ErrShort or a malformed error like Parse.
func HelloLen(data []byte) (int, error) {
	_, n, err := gather(data)
	return n, err
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// handshakeMessage returns the ClientHello handshake message body (after its 4-byte header),
// reassembled from as many handshake records as it spans.
func handshakeMessage(data []byte) ([]byte, error) {
	msg, _, err := gather(data)
	if err != nil {
		return nil, err
	}
	return msg[handshakeHeaderLen:], nil
}

// gather collects record fragments until the handshake message is complete. It returns the
// whole message (header included) and the number of record bytes it consumed.
func gather(data []byte) (msg []byte, consumed int, err error) {
	for {
		frag, rest, err := record(data[consumed:])
		if err != nil {
			return nil, 0, err
		}
		consumed = len(data) - len(rest)
		if msg == nil {
			msg = frag // first record: no copy
		} else {
			msg = append(msg[:len(msg):len(msg)], frag...)
		}
		need, err := messageLen(msg)
		if err != nil {
			return nil, 0, err
		}
		if len(msg) >= need {
			if len(msg) > need {
				return nil, 0, malformed("%d stray bytes after the ClientHello in its record", len(msg)-need)
			}
			return msg, consumed, nil
		}
	}
}

// record splits one TLS handshake record off data.
func record(data []byte) (fragment, rest []byte, err error) {
	if len(data) < recordHeaderLen {
		return nil, nil, checkPartialHeader(data)
	}
	if err := checkRecordHeader(data); err != nil {
		return nil, nil, err
	}
	n := int(data[3])<<8 | int(data[4])
	if len(data) < recordHeaderLen+n {
		return nil, nil, ErrShort
	}
	return data[recordHeaderLen : recordHeaderLen+n], data[recordHeaderLen+n:], nil
}

func checkPartialHeader(data []byte) error {
	if len(data) >= 1 && data[0] != typeHandshake {
		return malformed("record type %d, want handshake (22)", data[0])
	}
	if len(data) >= 2 && data[1] != 3 {
		return malformed("record version major %d, want 3", data[1])
	}
	return ErrShort
}

func checkRecordHeader(h []byte) error {
	if err := checkPartialHeader(h[:2]); err != ErrShort {
		return err
	}
	n := int(h[3])<<8 | int(h[4])
	if n == 0 || n > maxRecordLen {
		return malformed("record length %d, want 1..%d", n, maxRecordLen)
	}
	return nil
}

// messageLen returns the full length (header included) of the handshake message msg begins.
func messageLen(msg []byte) (int, error) {
	if len(msg) < handshakeHeaderLen {
		return handshakeHeaderLen, nil
	}
	if msg[0] != typeClientHello {
		return 0, malformed("handshake type %d, want ClientHello (1)", msg[0])
	}
	n := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
	if n > MaxHelloBytes {
		return 0, malformed("ClientHello of %d bytes exceeds %d", n, MaxHelloBytes)
	}
	return handshakeHeaderLen + n, nil
}
