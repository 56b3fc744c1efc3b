package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"
)

// typicalRequest is a browser-like GET with 8 header fields.
var typicalRequest = []byte("GET /api/v1/items?page=2&sort=desc HTTP/1.1\r\n" +
	"Host: shop.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: application/json, text/plain, */*\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Referer: https://shop.example.com/cart\r\n" +
	"Cookie: session=3f9a1c0b7e2d4a68; theme=dark\r\n" +
	"Connection: keep-alive\r\n\r\n")

var typicalResponse = []byte("HTTP/1.1 200 OK\r\n" +
	"Date: Wed, 25 Nov 2026 22:00:00 GMT\r\n" +
	"Content-Type: application/json; charset=utf-8\r\n" +
	"Content-Length: 1234\r\n" +
	"Cache-Control: private, max-age=0\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"Server: backend/1.0\r\n" +
	"X-Request-Id: 7d1e5b0a-9c2f-4e3b-8a6d-1f0e2c3b4a59\r\n" +
	"Connection: keep-alive\r\n\r\n")

func TestParsingAllocatesNothingAfterWarmUp(t *testing.T) {
	var req Request
	var resp Response
	get := []byte("GET")
	fw := Forwarding{Via: "1.1 fulcrum", ClientIP: []byte("127.0.0.1"), Proto: "http"}
	out := make([]byte, 0, 4096)
	tests := []struct {
		name string
		run  func()
	}{
		{name: "ParseRequest", run: func() { n, err := ParseRequest(typicalRequest, Limits{}, &req); mustParse(t, n, err) }},
		{name: "ParseResponse", run: func() { n, err := ParseResponse(typicalResponse, Limits{}, get, &resp); mustParse(t, n, err) }},
		{name: "AppendRequestHead", run: func() { out = AppendRequestHead(out[:0], &req, &fw) }},
	}
	for _, tc := range tests {
		tc.run() // warm-up grows Headers
		if got := testing.AllocsPerRun(100, tc.run); got != 0 {
			t.Errorf("%s: got %v allocations per run, want 0", tc.name, got)
		}
	}
}

func mustParse(t *testing.T, n int, err error) {
	if err != nil || n == 0 {
		t.Fatalf("got n=%d err=%v, want a parsed head", n, err)
	}
}

func TestChunkedCopyAllocatesNothingAfterWarmUp(t *testing.T) {
	body := []byte("5\r\nhello\r\n6;x=1\r\n world\r\n0\r\nChecksum: 9\r\n\r\n")
	src := bytes.NewReader(body)
	br := bufio.NewReader(src)
	var cr ChunkedReader
	var cw ChunkedWriter
	buf := make([]byte, 512)
	run := func() {
		src.Reset(body)
		br.Reset(src)
		cr.Reset(br, Limits{})
		cw.Reset(io.Discard)
		if _, err := CopyChunked(&cw, &cr, buf); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if got := testing.AllocsPerRun(100, run); got != 0 {
		t.Errorf("got %v allocations per body, want 0", got)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	var req Request
	b.SetBytes(int64(len(typicalRequest)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(typicalRequest, Limits{}, &req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponse(b *testing.B) {
	var resp Response
	get := []byte("GET")
	b.SetBytes(int64(len(typicalResponse)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(typicalResponse, Limits{}, get, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRequestHead(b *testing.B) {
	var req Request
	if _, err := ParseRequest(typicalRequest, Limits{}, &req); err != nil {
		b.Fatal(err)
	}
	fw := Forwarding{Via: "1.1 fulcrum", ClientIP: []byte("127.0.0.1"), Proto: "http"}
	out := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		out = AppendRequestHead(out[:0], &req, &fw)
	}
}

// BenchmarkNetHTTPReadRequest is the yardstick: the standard library on the same bytes.
func BenchmarkNetHTTPReadRequest(b *testing.B) {
	src := bytes.NewReader(typicalRequest)
	br := bufio.NewReader(src)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(typicalRequest)
		br.Reset(src)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
	}
}
