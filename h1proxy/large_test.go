package h1proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// sized answers GET /N with N bytes of a repeating pattern and a Content-Length.
func sized(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Path[1:])
	if err != nil {
		http.Error(w, "bad size", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.Write(pattern(n))
}

func pattern(n int) []byte {
	return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
}

// Bodies around the sizes where relaying changes course: the client's output buffer (16 KiB;
// from half of it a slice leaves in one writev with the buffered head), the backend read buffer
// (64 KiB), and far beyond, read by a client slow enough that the proxy's writes fill the socket.
func TestLargeResponsesArriveIntact(t *testing.T) {
	_, addr := startProxy(t, oneBackendYAML, startBackend(t, sized))
	for _, tc := range []struct {
		name string
		size int
		slow bool
	}{
		{"just under half the output buffer", bufSize/2 - 1, false},
		{"half the output buffer", bufSize / 2, false},
		{"a little over the output buffer", bufSize + 100, false},
		{"the backend read buffer", backendReadBuffer, false},
		{"4 MiB", 4 << 20, false},
		{"4 MiB to a slow reader", 4 << 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			rc.c.SetDeadline(time.Now().Add(10 * time.Second))
			for i := range 2 { // the second request checks the connection is left in step
				rc.send(t, fmt.Sprintf("GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", tc.size))
				if tc.slow {
					time.Sleep(200 * time.Millisecond) // the proxy meets a full socket buffer
				}
				resp, body := rc.response(t, "GET")
				if resp.StatusCode != 200 || !bytes.Equal([]byte(body), pattern(tc.size)) {
					t.Fatalf("request %d: got %d with %d bytes, want 200 with the backend's %d", i+1, resp.StatusCode, len(body), tc.size)
				}
			}
		})
	}
}

// Large request bodies, Content-Length and chunked, to a backend that reads slowly: the proxy's
// writes to the backend fill its socket and must wait for room (netloop's write readiness).
func TestLargeUploadsReachASlowBackend(t *testing.T) {
	backend := startBackend(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond) // let the proxy's writes fill the socket first
		b, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(b, pattern(len(b))) {
			http.Error(w, "body damaged", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d", len(b))
	})
	_, addr := startProxy(t, oneBackendYAML, backend)
	const size = 8 << 20
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			var body io.Reader = bytes.NewReader(pattern(size))
			if chunked {
				body = io.MultiReader(body) // hides the length: net/http sends it chunked
			}
			req, _ := http.NewRequest("POST", "http://"+addr+"/upload", body)
			resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(got) != strconv.Itoa(size) {
				t.Fatalf("got %d %q, want 200 %d", resp.StatusCode, got, size)
			}
		})
	}
}
