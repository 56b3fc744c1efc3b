package h1

import (
	"errors"
	"io"
	"net"
	"testing"
)

// pipeOnLoopback connects a client to a listener on 127.0.0.1; the client writes clientBytes in
// small pieces and closes. It returns the server side of the connection.
func pipeOnLoopback(t *testing.T, clientBytes string) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		for i := 0; i < len(clientBytes); i += 7 { // small writes: heads arrive in pieces
			c.Write([]byte(clientBytes[i:min(i+7, len(clientBytes))]))
		}
		c.Close()
	}()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestRequestReaderPipelines(t *testing.T) {
	stream := "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
		"\r\n" + // stray CRLF between requests is skipped
		"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n" +
		"GET /c HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nskip" + // body never read by the caller
		"GET /d HTTP/1.1\r\nHost: h\r\n\r\n"
	rr := NewRequestReader(pipeOnLoopback(t, stream), Limits{})
	want := []struct{ target, body string }{{"/a", "hello"}, {"/b", "abc"}, {"/c", ""}, {"/d", ""}}
	for i, w := range want {
		req, body, err := rr.Next()
		if err != nil {
			t.Fatalf("request %d: got %v, want a request", i, err)
		}
		if string(req.Target) != w.target {
			t.Fatalf("request %d: got target %q, want %q", i, req.Target, w.target)
		}
		if w.target == "/c" {
			continue
		}
		b, err := io.ReadAll(body)
		if err != nil || string(b) != w.body {
			t.Fatalf("request %d: got body %q, %v; want %q", i, b, err, w.body)
		}
		if w.target == "/b" {
			if v, _ := rr.Trailers().Get("t"); string(v) != "1" {
				t.Errorf("got trailer %q, want \"1\"", v)
			}
		}
	}
	if _, _, err := rr.Next(); err != io.EOF {
		t.Fatalf("after the last request: got %v, want io.EOF", err)
	}
}

func TestRequestReaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		lim    Limits
		want   error
	}{
		{name: "truncated head", stream: "GET / HTTP/1.1\r\nHo", want: io.ErrUnexpectedEOF},
		{name: "head larger than buffer", stream: "GET / HTTP/1.1\r\nX: " + string(make([]byte, 300)), lim: Limits{MaxHeadBytes: 64}, want: ErrHeadTooLarge},
		{name: "smuggling refused", stream: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", want: ErrLengthAndEncoding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rr := NewRequestReader(pipeOnLoopback(t, tc.stream), tc.lim)
			if _, _, err := rr.Next(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
