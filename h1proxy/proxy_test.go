package h1proxy

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// echo answers with the method, the body it read and the Via and X-Forwarded-For it got.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Via", r.Header.Get("Via"))
	w.Header().Set("X-Got-XFF", r.Header.Get("X-Forwarded-For"))
	w.Header().Set("X-Got-Trailer", r.Trailer.Get("X-Req-Sum"))
	switch r.URL.Path {
	case "/trailer":
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "counted")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Sum", "42")
	case "/nocontent":
		w.WriteHeader(http.StatusNoContent)
	case "/notmodified":
		w.WriteHeader(http.StatusNotModified)
	case "/chunked":
		for _, part := range []string{"one ", "two ", "three"} {
			io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
	default:
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
	}
}

func TestPipelinedRequestsAreAnsweredInOrder(t *testing.T) {
	_, addr := startProxy(t, oneBackendYAML, startBackend(t, echo))
	rc := dialRaw(t, addr)
	rc.send(t, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"GET /a ", "GET /b ", "GET /c "} {
		resp, body := rc.response(t, "GET")
		if resp.StatusCode != 200 || body != want {
			t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, want)
		}
		if !strings.Contains(resp.Header.Get("X-Via"), "fulcrum") || resp.Header.Get("X-Got-XFF") != "127.0.0.1" {
			t.Errorf("backend saw Via %q and X-Forwarded-For %q, want fulcrum and 127.0.0.1", resp.Header.Get("X-Via"), resp.Header.Get("X-Got-XFF"))
		}
	}
}

func TestBodiesAreFramedBothWays(t *testing.T) {
	_, addr := startProxy(t, oneBackendYAML, startBackend(t, echo))
	for _, tc := range []struct {
		name, method, request string
		wantStatus            int
		wantBody              string
		wantChunked           bool
	}{
		{name: "Content-Length body", method: "POST", request: "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", wantStatus: 200, wantBody: "POST /p hello"},
		{name: "chunked body re-encoded", method: "POST", request: "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", wantStatus: 200, wantBody: "POST /p abcde"},
		{name: "chunked response", method: "GET", request: "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 200, wantBody: "one two three", wantChunked: true},
		{name: "HEAD has no body", method: "HEAD", request: "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 200, wantBody: ""},
		{name: "204 has no body", method: "GET", request: "GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 204, wantBody: ""},
		{name: "304 has no body", method: "GET", request: "GET /notmodified HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 304, wantBody: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			for range 2 { // twice: the connection must stay usable
				rc.send(t, tc.request)
				resp, body := rc.response(t, tc.method)
				chunked := len(resp.TransferEncoding) > 0
				if resp.StatusCode != tc.wantStatus || body != tc.wantBody || chunked != tc.wantChunked {
					t.Errorf("got %d %q chunked=%v, want %d %q chunked=%v", resp.StatusCode, body, chunked, tc.wantStatus, tc.wantBody, tc.wantChunked)
				}
			}
		})
	}
}

func TestMalformedRequestsAreRefusedAndClosed(t *testing.T) {
	_, addr := startProxy(t, oneBackendYAML, startBackend(t, echo))
	for _, tc := range []struct {
		name, request string
		wantStatus    int
	}{
		{name: "two Content-Length fields", request: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", wantStatus: 400},
		{name: "Content-Length with Transfer-Encoding", request: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wantStatus: 400},
		{name: "gzip before chunked", request: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", wantStatus: 501},
		{name: "URI too long", request: "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: 414},
		{name: "header section too large", request: "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 17000) + "\r\n\r\n", wantStatus: 431},
		{name: "unsupported version", request: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", wantStatus: 505},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			rc.send(t, tc.request)
			resp, _ := rc.response(t, "GET")
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("got %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if !rc.closed() {
				t.Errorf("connection still open after %d, want it closed", tc.wantStatus)
			}
		})
	}
}

func TestNoBackendIs503AndKeepsTheConnection(t *testing.T) {
	_, addr := startProxy(t, oneBackendYAML, "127.0.0.1:1")
	rc := dialRaw(t, addr)
	for range 2 {
		rc.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, _ := rc.response(t, "GET")
		if resp.StatusCode != 502 && resp.StatusCode != 503 {
			t.Fatalf("got %d, want 502 or 503 for a refused connect", resp.StatusCode)
		}
	}
}

// Trailers cross the proxy both ways: a chunked request's trailer reaches the backend, and a
// chunked response's trailer reaches the client.
func TestTrailersAreForwarded(t *testing.T) {
	_, addr := startProxy(t, oneBackendYAML, startBackend(t, echo))
	rc := dialRaw(t, addr)
	for range 2 { // twice: the connection stays usable after a trailer
		rc.send(t, "POST /trailer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Req-Sum\r\n\r\n"+
			"3\r\nabc\r\n0\r\nX-Req-Sum: 7\r\n\r\n")
		resp, body := rc.response(t, "POST")
		if resp.StatusCode != 200 || body != "counted" {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, "counted")
		}
		if got := resp.Header.Get("X-Got-Trailer"); got != "7" {
			t.Errorf("backend saw request trailer X-Req-Sum %q, want 7", got)
		}
		if got := resp.Trailer.Get("X-Sum"); got != "42" {
			t.Errorf("client got response trailer X-Sum %q, want 42 (trailers %v)", got, resp.Trailer)
		}
	}
}

// TestBodyInPartsLeavesInTime: a body with a Content-Length that the backend sends in parts is
// forwarded in one piece when the parts come close together (MSG_MORE), but a backend that
// stalls mid-body does not hold a part back for long (the kernel lets it go within 200 ms), and
// an event stream's parts are not held at all, however many there are.
func TestBodyInPartsLeavesInTime(t *testing.T) {
	part, parts := strings.Repeat("0123456789abcdef", 32), 3 // parts overwrite the head in the read buffer
	for _, tc := range []struct {
		name, contentType string
		pause, late       time.Duration // the backend's pause between parts; how late a part may be
	}{
		{"parts together", "text/plain", 0, time.Second},
		{"backend stalls", "text/plain", 700 * time.Millisecond, 450 * time.Millisecond},
		{"event stream", "text/event-stream", 700 * time.Millisecond, 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := startBackend(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.Header().Set("Content-Length", strconv.Itoa(parts*len(part)))
				for i := range parts {
					if i > 0 {
						time.Sleep(tc.pause)
					}
					io.WriteString(w, part)
					w.(http.Flusher).Flush()
				}
			})
			_, addr := startProxy(t, oneBackendYAML, backend)
			rc := dialRaw(t, addr)
			for range 2 { // twice: the connection is reused after such a body
				start := time.Now()
				rc.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(rc.br, &http.Request{Method: "GET"})
				if err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(part))
				for i := range parts {
					if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != part {
						t.Fatalf("part %d: %q, %v", i, got, err)
					}
					if late := time.Since(start) - time.Duration(i)*tc.pause; late > tc.late {
						t.Errorf("part %d came %v after the backend sent it, want within %v", i, late, tc.late)
					}
				}
				if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) > 0 {
					t.Fatalf("after the body: %q, %v", rest, err)
				}
			}
		})
	}
}

// TestPipelinedAnswersReachAClientThatReadsLate: a client that sends many pipelined requests
// and reads nothing for a while gets every answer whole and in order, although the answers
// (2 KiB each, sent at the end of the loop's batches) fill the sockets between: a batch's
// bytes the socket cannot take are owed, later answers wait for them.
func TestPipelinedAnswersReachAClientThatReadsLate(t *testing.T) {
	body := strings.Repeat("x", 2000)
	_, addr := startProxy(t, oneBackendYAML, startBackend(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path+" "+body)
	}))
	rc := dialRaw(t, addr)
	rc.c.SetDeadline(time.Now().Add(20 * time.Second))
	const n = 3000 // about 6.5 MiB of answers: more than the sockets between hold
	var reqs strings.Builder
	for i := range n {
		fmt.Fprintf(&reqs, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}
	go rc.c.Write([]byte(reqs.String()))
	time.Sleep(300 * time.Millisecond) // the proxy answers until the client's socket is full
	for i := range n {
		resp, got := rc.response(t, "GET")
		if want := fmt.Sprintf("/%d %s", i, body); resp.StatusCode != 200 || got != want {
			t.Fatalf("answer %d: %d %q..., want 200 %q...", i, resp.StatusCode, got[:min(len(got), 12)], want[:12])
		}
	}
}
