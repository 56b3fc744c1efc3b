package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// framed is how one implementation delimited the first request in a byte stream.
type framed struct {
	method, target, host, body string
	consumed                   int
}

// FuzzRequestFraming feeds the same bytes to ParseRequest (+ its body readers) and to net/http's
// ReadRequest (+ reading the body). It fails when h1 accepts a request that net/http frames
// differently (method, target, host, body bytes, bytes consumed), or accepts one that net/http
// refuses for a reason that is not confined to the request target. h1 refusing what net/http
// accepts is by design and never a failure.
func FuzzRequestFraming(f *testing.F) {
	for _, tc := range requestCases {
		f.Add([]byte(tc.in + "3\r\nabc\r\n0\r\n\r\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, ok := frameWithH1(data)
		if !ok {
			return
		}
		theirs, err := frameWithNetHTTP(data)
		if err != nil {
			theirs, err = frameWithNetHTTP(withPlainTarget(data, ours.target))
			if err != nil {
				t.Fatalf("h1 accepted %q as %+v; net/http refuses it: %v", data, ours, err)
			}
			theirs.consumed += len(ours.target) - 1
			ours.target, ours.host, theirs.target, theirs.host = "", "", "", ""
		}
		if ours != theirs {
			t.Fatalf("framing differs for %q:\ngot  h1      %+v\nwant net/http %+v", data, ours, theirs)
		}
	})
}

// frameWithH1 frames the first request in data with this package. ok is false when h1 refuses
// the request or data ends before its body does.
func frameWithH1(data []byte) (framed, bool) {
	var req Request
	n, err := ParseRequest(data, Limits{}, &req)
	if err != nil {
		return framed{}, false
	}
	fr := framed{method: string(req.Method), target: string(req.Target), host: string(req.Host)}
	switch req.Body {
	case BodyNone:
		fr.consumed = n
	case BodyLength:
		if int64(len(data)-n) < req.ContentLength {
			return framed{}, false
		}
		fr.body, fr.consumed = string(data[n:n+int(req.ContentLength)]), n+int(req.ContentLength)
	case BodyChunked:
		src := bytes.NewReader(data[n:])
		br := bufio.NewReader(src)
		var cr ChunkedReader
		cr.Reset(br, Limits{})
		body, err := io.ReadAll(&cr)
		if err != nil {
			return framed{}, false
		}
		fr.body, fr.consumed = string(body), len(data)-src.Len()-br.Buffered()
	}
	return fr, true
}

func frameWithNetHTTP(data []byte) (framed, error) {
	src := bytes.NewReader(data)
	br := bufio.NewReader(src)
	req, err := http.ReadRequest(br)
	if err != nil {
		return framed{}, err
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return framed{}, fmt.Errorf("body: %w", err)
	}
	fr := framed{method: req.Method, target: req.RequestURI, host: req.Host, body: string(body)}
	fr.consumed = len(data) - src.Len() - br.Buffered()
	return fr, nil
}

// withPlainTarget replaces the request target with "/", to tell a refusal of the target's
// syntax (which cannot change framing) from a refusal of the framing itself.
func withPlainTarget(data []byte, target string) []byte {
	i := bytes.Index(data, []byte(" "+target+" "))
	out := append([]byte{}, data[:i+1]...)
	out = append(out, '/')
	return append(out, data[i+1+len(target):]...)
}
