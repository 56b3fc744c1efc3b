package h1

import "encoding/binary"

// scanField parses the well-formed field line at off in one pass: a token, a colon, and a
// value of visible characters, obs-text, SP and HT, ending in CRLF. It returns the name, the
// value without surrounding OWS, and the offset past the CRLF. It handles only that common
// case, checking the value eight bytes at a time; ok is false for anything else (a line not
// complete in buf included), and the caller then parses the line with nextLine and
// appendField, which name the error. For a line it accepts, the result is theirs.
func scanField(buf []byte, off int) (name, value []byte, next int, ok bool) {
	i := off
	for i < len(buf) && tchar[buf[i]] {
		i++
	}
	if i == off || i >= len(buf) || buf[i] != ':' {
		return nil, nil, 0, false
	}
	name = buf[off:i]
	for i++; i < len(buf) && isOWS(buf[i]); i++ {
	}
	end, ok := scanValue(buf, i)
	if !ok {
		return nil, nil, 0, false
	}
	return name, trimOWS(buf[i:end]), end + 2, true
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// scanValue returns the offset of the CR of the CRLF ending the field value that starts at
// i; ok is false when a byte not allowed in a value, or a CR without LF, comes first, or the
// line does not end within buf.
func scanValue(buf []byte, i int) (end int, ok bool) {
	for {
		for i+8 <= len(buf) && plainWord(binary.LittleEndian.Uint64(buf[i:])) {
			i += 8
		}
		if i >= len(buf) {
			return 0, false
		}
		switch c := buf[i]; {
		case fieldByte[c]:
			i++
		case c == '\r' && i+1 < len(buf) && buf[i+1] == '\n':
			return i, true
		default:
			return 0, false
		}
	}
}

// plainWord reports whether none of the eight bytes of w is a control character (below 0x20,
// or 0x7f). Bytes from 0x80 up (obs-text) are plain. It may report a plain word as not
// plain (then the caller looks byte by byte), never the reverse.
func plainWord(w uint64) bool {
	below := (w - 0x20*lowBits) &^ w // a byte's high bit: it was below 0x20
	x := w ^ 0x7f*lowBits            // 0x7f bytes become zero
	del := (x - lowBits) &^ x
	return (below|del)&highBits == 0
}
