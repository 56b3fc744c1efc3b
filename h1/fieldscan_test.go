package h1

import "testing"

// scanField must agree with the line-by-line parser on every line it accepts, and accept the
// ordinary ones.
func TestScanFieldAgreesWithLineParser(t *testing.T) {
	for _, tc := range []struct {
		line   string
		accept bool
	}{
		{"Host: example.com\r\n", true},
		{"X-Empty:\r\n", true},
		{"X-Spaces:   padded value \t \r\n", true},
		{"X-Tab:\ta\tb\r\n", true},
		{"X-Obs-Text: caf\xc3\xa9 \xff\r\n", true},
		{"X-Long: 0123456789abcdef0123456789abcdef0123456789\r\n", true},
		{" Folded: x\r\n", false},
		{"Bad Name: x\r\n", false},
		{"Name : x\r\n", false},
		{"NoColon\r\n", false},
		{"X-Bare-LF: x\n", false},
		{"X-Ctl: a\x01b\r\n", false},
		{"X-Del: 01234567\x7f89\r\n", false},
		{"X-NUL: 0123456789\x00\r\n", false},
		{"X-CR: a\rb\r\n", false},
		{"X-Incomplete: abc", false},
		{"X-Incomplete: abc\r", false},
		{"\r\n", false},
	} {
		name, value, next, ok := scanField([]byte(tc.line), 0)
		if ok != tc.accept {
			t.Errorf("%q: accepted %v, want %v", tc.line, ok, tc.accept)
			continue
		}
		if ok {
			checkAgainstLineParser(t, []byte(tc.line), name, value, next)
		}
	}
}

func checkAgainstLineParser(t *testing.T, buf, name, value []byte, next int) {
	t.Helper()
	line, wantNext, err := nextLine(buf, 0)
	var h Headers
	if err == nil {
		err = appendField(line, Limits{}.withDefaults(), &h)
	}
	if err != nil {
		t.Fatalf("%q: scanField accepted what the line parser rejects: %v", buf, err)
	}
	if string(h[0].Name) != string(name) || string(h[0].Value) != string(value) || wantNext != next {
		t.Fatalf("%q: scanField got (%q, %q, %d), line parser (%q, %q, %d)", buf, name, value, next, h[0].Name, h[0].Value, wantNext)
	}
}

func FuzzScanField(f *testing.F) {
	f.Add([]byte("Host: example.com\r\n"))
	f.Add([]byte("X: \x7f\t\xff 01234567\r\n"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		if name, value, next, ok := scanField(buf, 0); ok {
			checkAgainstLineParser(t, buf, name, value, next)
		}
	})
}
