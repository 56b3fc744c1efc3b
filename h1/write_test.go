package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestAppendRequestHead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fw   Forwarding
		want string
	}{
		{
			name: "hop-by-hop dropped, forwarding added",
			in: "GET /p?q HTTP/1.1\r\nHost: a.example\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: 5\r\n" +
				"TE: trailers\r\nProxy-Connection: x\r\nProxy-Authorization: Basic x\r\nX-Secret: s\r\nAccept: */*\r\n" +
				"Upgrade: h2c\r\nX-Forwarded-Proto: gopher\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n",
			fw: Forwarding{Via: "1.1 fulcrum", ClientIP: []byte("127.0.0.1"), Proto: "http"},
			want: "GET /p?q HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nVia: 1.1 fulcrum\r\n" +
				"X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a.example\r\n\r\n",
		},
		{
			name: "client XFF kept when trusted",
			in:   "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2, 10.0.0.3\r\n\r\n",
			fw:   Forwarding{ClientIP: []byte("127.0.0.1"), KeepClientXFF: true},
			want: "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1\r\nX-Forwarded-Host: a\r\n\r\n",
		},
		{
			name: "chunked normalized, 1.1 sent for 1.0 and absolute-form made origin-form",
			in:   "POST http://a.example HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: Chunked\r\n\r\n",
			want: "POST / HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-Host: a.example\r\nTransfer-Encoding: chunked\r\n\r\n",
		},
		{
			name: "content-length normalized",
			in:   "PUT /x HTTP/1.0\r\nContent-Length: 0010\r\n\r\n",
			want: "PUT /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n",
		},
		{
			name: "Connection cannot hide Host or add framing",
			in:   "POST / HTTP/1.1\r\nHost: a\r\nConnection: Host, Content-Length, X-Forwarded-For\r\nContent-Length: 1\r\n\r\n",
			fw:   Forwarding{ClientIP: []byte("127.0.0.1")},
			want: "POST / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Host: a\r\nContent-Length: 1\r\n\r\n",
		},
		{
			name: "upgrade kept",
			in:   "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
			want: "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nX-Forwarded-Host: a\r\nConnection: upgrade\r\n\r\n",
		},
	}
	var req Request
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseRequest([]byte(tc.in), Limits{}, &req); err != nil {
				t.Fatal(err)
			}
			if got := string(AppendRequestHead(nil, &req, &tc.fw)); got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestForwardedRequestReachesBackendIntact sends a parsed chunked request, re-encoded, to a
// real net/http backend on loopback and checks that it reads the same single request.
func TestForwardedRequestReachesBackendIntact(t *testing.T) {
	got := make(chan string, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		got <- r.Method + " " + r.RequestURI + " " + string(b) + " " + r.Trailer.Get("Checksum") + " " + errString(err) +
			" xff=" + r.Header.Get("X-Forwarded-For")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	client := "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: Checksum\r\n\r\n" +
		"4;x=y\r\nwiki\r\n5\r\npedia\r\n0\r\nChecksum: 42\r\n\r\n"
	cbr := bufio.NewReader(strings.NewReader(client))
	cbr.Peek(1) // fill the buffer
	head, _ := cbr.Peek(cbr.Buffered())
	var req Request
	n, err := ParseRequest(head, Limits{}, &req)
	if err != nil {
		t.Fatal(err)
	}
	out := AppendRequestHead(nil, &req, &Forwarding{ClientIP: []byte("127.0.0.9")})
	cbr.Discard(n)

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bw := bufio.NewWriter(conn)
	bw.Write(out)
	var cr ChunkedReader
	cr.Reset(cbr, Limits{})
	var cw ChunkedWriter
	cw.Reset(bw)
	if _, err := CopyChunked(&cw, &cr, make([]byte, 3)); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if seen, want := <-got, "POST /up wikipedia 42 ok xff=127.0.0.9"; seen != want {
		t.Errorf("backend saw %q, want %q", seen, want)
	}
}

func errString(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}
