package health

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/loopback"
)

// rawServer answers every connection with reply, byte for byte, then closes it. It sends the
// request head it read on the returned channel.
func rawServer(t *testing.T, reply string) (address string, requests <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	heads := make(chan string, 16)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			heads <- readRequestHead(conn)
			conn.Write([]byte(reply))
			conn.Close()
		}
	}()
	return ln.Addr().String(), heads
}

func readRequestHead(conn net.Conn) string {
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	br := bufio.NewReader(conn)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil || line == "\r\n" {
			return head.String()
		}
	}
}

func TestHTTPRequestBytes(t *testing.T) {
	tests := []struct {
		name    string
		check   HTTP
		wantFmt string // %s is the server address
	}{
		{
			name:    "defaults",
			check:   HTTP{},
			wantFmt: "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: fulcrum-health\r\nConnection: close\r\n\r\n",
		},
		{
			name:    "path and host",
			check:   HTTP{Path: "/healthz?deep=1", Host: "svc.internal"},
			wantFmt: "GET /healthz?deep=1 HTTP/1.1\r\nHost: svc.internal\r\nUser-Agent: fulcrum-health\r\nConnection: close\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, heads := rawServer(t, "HTTP/1.1 200 OK\r\n\r\n")
			if err := tt.check.Check(withTimeout(t, time.Second), addr); err != nil {
				t.Fatalf("Check: got error %v, want none", err)
			}
			want := strings.ReplaceAll(tt.wantFmt, "%s", addr)
			if got := <-heads; got != want {
				t.Fatalf("request: got %q, want %q", got, want)
			}
		})
	}
}

// TestHTTPAgainstServer runs the check against net/http's server for status ranges and body
// substrings, including bodies net/http frames as chunked.
func TestHTTPAgainstServer(t *testing.T) {
	big := strings.Repeat("x", 3*MaxBodyBytes)
	tests := []struct {
		name    string
		status  int
		body    string
		flush   bool // flush mid-body, so net/http sends chunked
		check   HTTP
		wantErr string // substring; "" means pass
	}{
		{name: "200 passes default range", status: 200},
		{name: "302 passes default range", status: 302},
		{name: "404 fails default range", status: 404, wantErr: "status 404 not expected"},
		{name: "503 fails default range", status: 503, wantErr: "status 503 not expected"},
		{name: "404 passes when expected", status: 404, check: HTTP{Status: statusIn(t, "404")}},
		{name: "200 fails outside custom range", status: 200, check: HTTP{Status: statusIn(t, "500-599")}, wantErr: "status 200"},
		{name: "body contains", status: 200, body: `{"status":"ok"}`, check: HTTP{ExpectBody: `"ok"`}},
		{name: "body lacks", status: 200, body: `{"status":"degraded"}`, check: HTTP{ExpectBody: `"ok"`}, wantErr: `does not contain "\"ok\""`},
		{name: "chunked body contains", status: 200, body: "alive " + big, flush: true, check: HTTP{ExpectBody: "alive"}},
		{name: "needle past the limit", status: 200, body: big + "alive", flush: true, check: HTTP{ExpectBody: "alive"}, wantErr: "does not contain"},
		{name: "long content-length body contains", status: 200, body: "alive " + big, check: HTTP{ExpectBody: "alive"}},
		{name: "wrong status with right body", status: 500, body: "alive", check: HTTP{ExpectBody: "alive"}, wantErr: "status 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !tt.flush {
					w.Header().Set("Content-Length", strconv.Itoa(len(tt.body)))
				}
				w.WriteHeader(tt.status)
				half := len(tt.body) / 2
				w.Write([]byte(tt.body[:half]))
				if tt.flush {
					w.(http.Flusher).Flush()
				}
				w.Write([]byte(tt.body[half:]))
			}))
			defer srv.Close()
			err := tt.check.Check(withTimeout(t, 2*time.Second), srv.Listener.Addr().String())
			assertCheckErr(t, err, tt.wantErr)
		})
	}
}

// TestHTTPResponseParsing feeds exact responses, well-formed and not, to the check.
func TestHTTPResponseParsing(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		check   HTTP
		wantErr string // substring; "" means pass
	}{
		{name: "no reason phrase", reply: "HTTP/1.1 200\r\n\r\n"},
		{name: "HTTP/1.0", reply: "HTTP/1.0 204 No Content\r\n\r\n"},
		{name: "bare LF", reply: "HTTP/1.1 200 OK\n\n"},
		{name: "interim 100 skipped", reply: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"},
		{name: "unknown HTTP version", reply: "HTTP/1.2 200 OK\r\n\r\n", wantErr: "malformed status line"},
		{name: "HTTP/2 status line", reply: "HTTP/2 200 OK\r\n\r\n", wantErr: "malformed status line"},
		{name: "two-digit status", reply: "HTTP/1.1 20 OK\r\n\r\n", wantErr: "malformed status line"},
		{name: "no space after status", reply: "HTTP/1.1 200OK\r\n\r\n", wantErr: "malformed status line"},
		{name: "status out of range", reply: "HTTP/1.1 999 Odd\r\n\r\n", wantErr: "malformed status line"},
		{name: "not HTTP", reply: "SSH-2.0-OpenSSH_9.6\r\n", wantErr: "malformed status line"},
		{name: "closed before status", reply: "", wantErr: "read status line"},
		{name: "status line without end", reply: "HTTP/1.1 200 OK", wantErr: "read status line"},
		{name: "over-long status line", reply: "HTTP/1.1 200 " + strings.Repeat("k", maxLineBytes) + "\r\n\r\n", wantErr: "longer than"},
		{
			name:  "chunked with extension, needle in second chunk",
			reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n alive\r\n0\r\n\r\n",
			check: HTTP{ExpectBody: "alive"},
		},
		{
			name:    "bad chunk size",
			reply:   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nalive\r\n0\r\n\r\n",
			check:   HTTP{ExpectBody: "alive"},
			wantErr: "bad chunk size",
		},
		{
			name:  "close-delimited body",
			reply: "HTTP/1.0 200 OK\r\n\r\nall systems alive",
			check: HTTP{ExpectBody: "alive"},
		},
		{
			name:    "needle after content-length",
			reply:   "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello alive",
			check:   HTTP{ExpectBody: "alive"},
			wantErr: "does not contain",
		},
		{
			name:    "body shorter than content-length",
			reply:   "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nalive",
			check:   HTTP{ExpectBody: "alive"},
			wantErr: "read body",
		},
		{
			name:    "conflicting content-length",
			reply:   "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nalive",
			check:   HTTP{ExpectBody: "alive"},
			wantErr: "bad Content-Length",
		},
		{
			name:    "malformed header",
			reply:   "HTTP/1.1 200 OK\r\nno colon here\r\n\r\nalive",
			check:   HTTP{ExpectBody: "alive"},
			wantErr: "malformed header line",
		},
		{
			name:  "chunked wins over content-length",
			reply: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nalive\r\n0\r\n\r\n",
			check: HTTP{ExpectBody: "alive"},
		},
		{
			name:    "204 has no body",
			reply:   "HTTP/1.1 204 No Content\r\n\r\nalive",
			check:   HTTP{ExpectBody: "alive"},
			wantErr: "does not contain",
		},
		{
			name:  "malformed header ignored when body not needed",
			reply: "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := rawServer(t, tt.reply)
			err := tt.check.Check(withTimeout(t, 2*time.Second), addr)
			assertCheckErr(t, err, tt.wantErr)
		})
	}
}

func TestHTTPClosedPort(t *testing.T) {
	err := (&HTTP{}).Check(withTimeout(t, time.Second), loopback.ClosedPort(t))
	assertCheckErr(t, err, "connect")
}

func assertCheckErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("Check: got error %v, want a pass", err)
	case want != "" && err == nil:
		t.Fatalf("Check: got a pass, want an error containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("Check: got error %v, want one containing %q", err, want)
	}
}

func statusIn(t *testing.T, specs ...string) func(int) bool {
	t.Helper()
	accepts, err := ParseStatus(specs)
	if err != nil {
		t.Fatal(err)
	}
	return accepts
}
