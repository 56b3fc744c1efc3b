package h1

import "testing"

func TestParseResponseFraming(t *testing.T) {
	tests := []struct {
		name   string
		method string
		in     string
		bad    bool
		body   BodyKind
		length int64
		close  bool
	}{
		{name: "length", method: "GET", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", body: BodyLength, length: 3},
		{name: "chunked", method: "GET", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", body: BodyChunked},
		{name: "close-delimited", method: "GET", in: "HTTP/1.1 200 OK\r\n\r\n", body: BodyUntilClose, close: true},
		{name: "HEAD ignores length", method: "HEAD", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", body: BodyNone},
		{name: "204", method: "GET", in: "HTTP/1.1 204 No Content\r\n\r\n", body: BodyNone},
		{name: "304", method: "GET", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", body: BodyNone},
		{name: "100 continue", method: "PUT", in: "HTTP/1.1 100 Continue\r\n\r\n", body: BodyNone},
		{name: "CONNECT 200 tunnel", method: "CONNECT", in: "HTTP/1.1 200 OK\r\n\r\n", body: BodyNone},
		{name: "no reason phrase", method: "GET", in: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", body: BodyLength},
		{name: "empty reason phrase", method: "GET", in: "HTTP/1.1 404 \r\nContent-Length: 1\r\n\r\n", body: BodyLength, length: 1},
		{name: "1.0 closes", method: "GET", in: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", body: BodyLength, length: 1, close: true},
		{name: "connection close", method: "GET", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", body: BodyLength, length: 1, close: true},
		{name: "CL and TE", method: "GET", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", bad: true},
		{name: "duplicate CL", method: "GET", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", bad: true},
		{name: "TE not chunked", method: "GET", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", bad: true},
		{name: "two-digit status", method: "GET", in: "HTTP/1.1 20 OK\r\n\r\n", bad: true},
		{name: "status below 100", method: "GET", in: "HTTP/1.1 099 OK\r\n\r\n", bad: true},
		{name: "four-digit status", method: "GET", in: "HTTP/1.1 2000 OK\r\n\r\n", bad: true},
		{name: "bad version", method: "GET", in: "HTTP/1.3 200 OK\r\n\r\n", bad: true},
		{name: "NUL in reason", method: "GET", in: "HTTP/1.1 200 O\x00K\r\n\r\n", bad: true},
		{name: "bare LF", method: "GET", in: "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", bad: true},
	}
	var resp Response
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseResponse([]byte(tc.in), Limits{}, []byte(tc.method), &resp)
			if tc.bad {
				if statusOf(err) == 0 {
					t.Fatalf("got %v, want an *Error", err)
				}
				return
			}
			if err != nil || n != len(tc.in) {
				t.Fatalf("got n=%d err=%v, want n=%d accepted", n, err, len(tc.in))
			}
			if resp.Body != tc.body || resp.ContentLength != tc.length || resp.Close != tc.close {
				t.Errorf("got %v/%d close=%v, want %v/%d close=%v",
					resp.Body, resp.ContentLength, resp.Close, tc.body, tc.length, tc.close)
			}
		})
	}
}

func TestParseResponseInformationalThenFinal(t *testing.T) {
	in := []byte("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	var resp Response
	n, err := ParseResponse(in, Limits{}, []byte("GET"), &resp)
	if err != nil || !resp.Informational() || resp.Status != 103 {
		t.Fatalf("got status %d err %v, want informational 103", resp.Status, err)
	}
	m, err := ParseResponse(in[n:], Limits{}, []byte("GET"), &resp)
	if err != nil || resp.Status != 200 || string(in[n+m:]) != "ok" {
		t.Fatalf("got status %d err %v body %q, want 200 with body \"ok\"", resp.Status, err, in[n+m:])
	}
}
