package h1

import "testing"

func TestAppendResponseHead(t *testing.T) {
	tests := []struct {
		name   string
		method string
		in     string
		opt    ResponseOptions
		want   string
		kind   BodyKind
	}{
		{
			name: "length kept, hop-by-hop dropped", method: "GET",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 0005\r\nConnection: keep-alive, X-Internal\r\nX-Internal: 1\r\nKeep-Alive: timeout=5\r\nETag: \"e\"\r\n\r\n",
			opt:  ResponseOptions{ClientMinor: 1, Via: "1.1 fulcrum"},
			want: "HTTP/1.1 200 OK\r\nETag: \"e\"\r\nVia: 1.1 fulcrum\r\nContent-Length: 5\r\n\r\n", kind: BodyLength,
		},
		{
			name: "close-delimited re-chunked for 1.1 client", method: "GET",
			in:   "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n",
			opt:  ResponseOptions{ClientMinor: 1},
			want: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", kind: BodyChunked,
		},
		{
			name: "chunked to 1.0 client sent until close", method: "GET",
			in:   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
			opt:  ResponseOptions{ClientMinor: 0},
			want: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", kind: BodyUntilClose,
		},
		{
			name: "HEAD keeps the representation length", method: "HEAD",
			in:   "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n",
			opt:  ResponseOptions{ClientMinor: 1, Close: true},
			want: "HTTP/1.1 200 OK\r\nContent-Length: 42\r\nConnection: close\r\n\r\n", kind: BodyNone,
		},
		{
			name: "101 keeps Upgrade", method: "GET",
			in:   "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
			opt:  ResponseOptions{ClientMinor: 1},
			want: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", kind: BodyNone,
		},
	}
	var resp Response
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseResponse([]byte(tc.in), Limits{}, []byte(tc.method), &resp); err != nil {
				t.Fatal(err)
			}
			out, kind := AppendResponseHead(nil, &resp, &tc.opt)
			if string(out) != tc.want || kind != tc.kind {
				t.Errorf("got %v\n%q\nwant %v\n%q", kind, out, tc.kind, tc.want)
			}
		})
	}
}

func TestAppendResponseHeadAllocatesNothing(t *testing.T) {
	var resp Response
	if _, err := ParseResponse(typicalResponse, Limits{}, []byte("GET"), &resp); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 0, 4096)
	opt := ResponseOptions{ClientMinor: 1, Via: "1.1 fulcrum"}
	if got := testing.AllocsPerRun(100, func() { out, _ = AppendResponseHead(out[:0], &resp, &opt) }); got != 0 {
		t.Errorf("got %v allocations, want 0", got)
	}
}
