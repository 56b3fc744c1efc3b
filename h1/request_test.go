package h1

import (
	"errors"
	"strings"
	"testing"
)

// framingCase is one row of the request table: input head → refusal status, or accepted framing.
type framingCase struct {
	name   string
	in     string
	status int // 0: accepted
	body   BodyKind
	length int64
}

const host = "Host: a.example\r\n"

var requestCases = []framingCase{
	{name: "plain GET", in: "GET / HTTP/1.1\r\n" + host + "\r\n", body: BodyNone},
	{name: "content-length", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\n", body: BodyLength, length: 5},
	{name: "content-length zero kept", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", body: BodyLength},
	{name: "content-length leading zeros", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 007\r\n\r\n", body: BodyLength, length: 7},
	{name: "content-length 2^62", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 4611686018427387904\r\n\r\n", body: BodyLength, length: 1 << 62},
	{name: "chunked", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n", body: BodyChunked},
	{name: "TE.TE uppercase CHUNKED accepted", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: CHUNKED\r\n\r\n", body: BodyChunked},
	{name: "TE.TE tab before value is OWS", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding:\tchunked\r\n\r\n", body: BodyChunked},
	{name: "TE.TE leading space is OWS", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding:  chunked\r\n\r\n", body: BodyChunked},
	{name: "TE.TE trailing tab is OWS", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\t\r\n\r\n", body: BodyChunked},
	{name: "absolute-form target", in: "GET http://a.example/x?y HTTP/1.1\r\n" + host + "\r\n", body: BodyNone},
	{name: "HTTP/1.0 without Host", in: "GET / HTTP/1.0\r\n\r\n", body: BodyNone},
	{name: "OPTIONS asterisk", in: "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", body: BodyNone},
	{name: "CONNECT authority-form", in: "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", body: BodyNone},

	// CL.TE and TE.CL: both framings present.
	{name: "CL.TE", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "TE.CL", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n", status: 400},
	{name: "CL.TE with obfuscated TE", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 6\r\nTransfer-Encoding: xchunked\r\n\r\n", status: 400},
	// TE.TE obfuscations.
	{name: "TE xchunked", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n\r\n", status: 400},
	{name: "TE chunked, chunked", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, chunked\r\n\r\n", status: 400},
	{name: "TE duplicated fields", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "TE chunked then identity", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, identity\r\n\r\n", status: 400},
	{name: "TE gzip, chunked not implemented", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n", status: 501},
	{name: "TE split over fields", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501},
	{name: "TE empty element", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked,\r\n\r\n", status: 400},
	{name: "TE empty value", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding:\r\n\r\n", status: 400},
	{name: "TE with parameter", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked;q=1\r\n\r\n", status: 400},
	{name: "TE vertical tab", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: \vchunked\r\n\r\n", status: 400},
	{name: "TE space before colon", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\n\r\n", status: 400},
	{name: "TE obs-fold", in: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding:\r\n chunked\r\n\r\n", status: 400},
	{name: "TE in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	// Content-Length variants.
	{name: "CL duplicated identical", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", status: 400},
	{name: "CL conflicting", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", status: 400},
	{name: "CL list", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 5\r\n\r\n", status: 400},
	{name: "CL plus sign", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: +5\r\n\r\n", status: 400},
	{name: "CL minus sign", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", status: 400},
	{name: "CL inner space", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 1 0\r\n\r\n", status: 400},
	{name: "CL hex", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 0x5\r\n\r\n", status: 400},
	{name: "CL empty", in: "POST / HTTP/1.1\r\n" + host + "Content-Length:\r\n\r\n", status: 400},
	{name: "CL above 2^62", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 4611686018427387905\r\n\r\n", status: 400},
	{name: "CL overflowing int64", in: "POST / HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999\r\n\r\n", status: 400},
	// Field syntax.
	{name: "NUL in value", in: "GET / HTTP/1.1\r\n" + host + "X: a\x00b\r\n\r\n", status: 400},
	{name: "bare CR in value", in: "GET / HTTP/1.1\r\n" + host + "X: a\rb\r\n\r\n", status: 400},
	{name: "DEL in value", in: "GET / HTTP/1.1\r\n" + host + "X: a\x7fb\r\n\r\n", status: 400},
	{name: "space before colon", in: "GET / HTTP/1.1\r\n" + host + "X-A : b\r\n\r\n", status: 400},
	{name: "space in name", in: "GET / HTTP/1.1\r\n" + host + "X A: b\r\n\r\n", status: 400},
	{name: "non-token name", in: "GET / HTTP/1.1\r\n" + host + "X(A): b\r\n\r\n", status: 400},
	{name: "empty name", in: "GET / HTTP/1.1\r\n" + host + ": b\r\n\r\n", status: 400},
	{name: "no colon", in: "GET / HTTP/1.1\r\n" + host + "X\r\n\r\n", status: 400},
	{name: "obs-fold", in: "GET / HTTP/1.1\r\n" + host + "X: a\r\n\tb\r\n\r\n", status: 400},
	{name: "bare LF in fields", in: "GET / HTTP/1.1\r\n" + host + "X: a\n\r\n", status: 400},
	{name: "bare LF ending head", in: "GET / HTTP/1.1\r\n" + host + "\n", status: 400},
	{name: "bare LF request line", in: "GET / HTTP/1.1\n" + host + "\r\n", status: 400},
	// Request line.
	{name: "two spaces", in: "GET  / HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "two spaces before version", in: "GET /  HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "tab separator", in: "GET\t/ HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "method not a token", in: "G(T / HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "missing version", in: "GET /\r\n" + host + "\r\n", status: 400},
	{name: "HTTP/1.2", in: "GET / HTTP/1.2\r\n" + host + "\r\n", status: 505},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\n" + host + "\r\n", status: 505},
	{name: "lower-case version", in: "GET / http/1.1\r\n" + host + "\r\n", status: 400},
	{name: "version trailing space", in: "GET / HTTP/1.1 \r\n" + host + "\r\n", status: 400},
	{name: "control char in target", in: "GET /a\x01 HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "non-ASCII target", in: "GET /\xc3\xa9 HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "bad percent-encoding", in: "GET /%zz HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "relative target", in: "GET a/b HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "absolute-form other scheme", in: "GET ftp://a.example/ HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "absolute-form userinfo", in: "GET http://u@a.example/ HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "absolute-form query without path", in: "GET http://a.example?q HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "absolute-form Host mismatch", in: "GET http://b.example/ HTTP/1.1\r\n" + host + "\r\n", status: 400},
	{name: "leading empty line", in: "\r\nGET / HTTP/1.1\r\n" + host + "\r\n", status: 400},
	// Host.
	{name: "HTTP/1.1 without Host", in: "GET / HTTP/1.1\r\n\r\n", status: 400},
	{name: "two Host fields", in: "GET / HTTP/1.1\r\n" + host + host + "\r\n", status: 400},
	{name: "Host with slash", in: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400},
	// Limits.
	{name: "target too long", in: "GET /" + strings.Repeat("a", DefaultMaxTargetBytes) + " HTTP/1.1\r\n" + host + "\r\n", status: 414},
	{name: "header section too large", in: "GET / HTTP/1.1\r\n" + host + "X: " + strings.Repeat("a", DefaultMaxHeadBytes) + "\r\n\r\n", status: 431},
	{name: "too many fields", in: "GET / HTTP/1.1\r\n" + host + strings.Repeat("X: a\r\n", DefaultMaxFields) + "\r\n", status: 431},
}

func TestParseRequestFraming(t *testing.T) {
	var req Request
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseRequest([]byte(tc.in), Limits{}, &req)
			if tc.status != 0 {
				if got := statusOf(err); got != tc.status {
					t.Fatalf("got status %d (err %v), want %d", got, err, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want accepted", err)
			}
			if n != len(tc.in) {
				t.Errorf("got consumed %d, want %d", n, len(tc.in))
			}
			if req.Body != tc.body || req.ContentLength != tc.length {
				t.Errorf("got framing %v/%d, want %v/%d", req.Body, req.ContentLength, tc.body, tc.length)
			}
		})
	}
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func TestParseRequestNeedsMoreUntilHeadEnds(t *testing.T) {
	full := "POST /p HTTP/1.1\r\n" + host + "Content-Length: 3\r\n\r\nabc"
	head := len(full) - 3
	var req Request
	for i := 0; i < head; i++ {
		if _, err := ParseRequest([]byte(full[:i]), Limits{}, &req); err != ErrNeedMore {
			t.Fatalf("prefix of %d bytes: got %v, want ErrNeedMore", i, err)
		}
	}
	n, err := ParseRequest([]byte(full), Limits{}, &req)
	if err != nil || n != head {
		t.Fatalf("got n=%d err=%v, want n=%d err=nil", n, err, head)
	}
}

func TestParseRequestPendingLimits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{name: "endless target", in: "GET /" + strings.Repeat("a", DefaultMaxTargetBytes+16), want: ErrURITooLong},
		{name: "endless field", in: "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", DefaultMaxHeadBytes), want: ErrHeadTooLarge},
		{name: "short prefix", in: "GET / HTTP/1.1\r\nX: a", want: ErrNeedMore},
	}
	var req Request
	for _, tc := range tests {
		if _, err := ParseRequest([]byte(tc.in), Limits{}, &req); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseRequestConnectionDecisions(t *testing.T) {
	tests := []struct {
		name                      string
		in                        string
		close, expect100, upgrade bool
		host                      string
	}{
		{name: "1.1 persistent", in: "GET / HTTP/1.1\r\n" + host + "\r\n", host: "a.example"},
		{name: "1.1 close", in: "GET / HTTP/1.1\r\n" + host + "Connection: keep-alive, Close\r\n\r\n", close: true, host: "a.example"},
		{name: "1.0 default close", in: "GET / HTTP/1.0\r\n\r\n", close: true},
		{name: "1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n" + host + "\r\n", host: "a.example"},
		{name: "expect", in: "PUT / HTTP/1.1\r\n" + host + "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n", expect100: true, host: "a.example"},
		{name: "expect ignored in 1.0", in: "PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", close: true},
		{name: "upgrade", in: "GET / HTTP/1.1\r\n" + host + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", upgrade: true, host: "a.example"},
		{name: "upgrade field without option", in: "GET / HTTP/1.1\r\n" + host + "Upgrade: websocket\r\n\r\n", host: "a.example"},
		{name: "absolute-form host", in: "GET HTTP://A.example HTTP/1.1\r\n" + host + "\r\n", host: "A.example"},
	}
	var req Request
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseRequest([]byte(tc.in), Limits{}, &req); err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			got := [3]bool{req.Close, req.Expect100, req.Upgrade}
			if want := [3]bool{tc.close, tc.expect100, tc.upgrade}; got != want {
				t.Errorf("got close/expect100/upgrade %v, want %v", got, want)
			}
			if string(req.Host) != tc.host {
				t.Errorf("got host %q, want %q", req.Host, tc.host)
			}
		})
	}
}

func TestHeadersGetIsCaseInsensitive(t *testing.T) {
	var req Request
	in := "GET / HTTP/1.1\r\nhOsT: a.example\r\nX-Trace:  t1 \r\nx-trace: t2\r\n\r\n"
	if _, err := ParseRequest([]byte(in), Limits{}, &req); err != nil {
		t.Fatal(err)
	}
	if v, ok := req.Headers.Get("x-trace"); !ok || string(v) != "t1" {
		t.Errorf("got %q %v, want \"t1\" true", v, ok)
	}
	if n := req.Headers.Count("x-trace"); n != 2 {
		t.Errorf("got count %d, want 2", n)
	}
	if _, ok := req.Headers.Get("x-missing"); ok {
		t.Error("got a value for an absent field, want none")
	}
}
