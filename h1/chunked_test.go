package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func decodeChunked(in string) (body string, trailers Headers, rest string, err error) {
	br := bufio.NewReader(strings.NewReader(in))
	var cr ChunkedReader
	cr.Reset(br, Limits{})
	b, err := io.ReadAll(&cr)
	tail, _ := io.ReadAll(br)
	return string(b), cr.Trailers, string(tail), err
}

func TestChunkedReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		body string
		want error // nil: accepted
	}{
		{name: "two chunks", in: "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", body: "abcde"},
		{name: "upper-case hex", in: "A\r\n0123456789\r\n0\r\n\r\n", body: "0123456789"},
		{name: "leading zeros", in: "0003\r\nabc\r\n0\r\n\r\n", body: "abc"},
		{name: "extensions dropped", in: "3;a=b;c;d=\"x \\\"y\"\r\nabc\r\n0;z\r\n\r\n", body: "abc"},
		{name: "empty body", in: "0\r\n\r\n", body: ""},
		{name: "0x prefix", in: "0x3\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "negative size", in: "-3\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "plus sign", in: "+3\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "leading space", in: " 3\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "empty size", in: "\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "17 hex digits", in: "00000000000000003\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "overflowing size", in: "ffffffffffffffff\r\nabc\r\n", want: ErrBadChunkSize},
		{name: "above 2^62", in: "4000000000000001\r\nabc\r\n", want: ErrBadChunkSize},
		{name: "trailing garbage", in: "3x\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "trailing space", in: "3 \r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "space before extension", in: "3 ;a\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkSize},
		{name: "empty extension name", in: "3;=a\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkExtension},
		{name: "unterminated quoted extension", in: "3;a=\"b\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkExtension},
		{name: "bare CR in extension", in: "3;a\rb\r\nabc\r\n0\r\n\r\n", want: ErrBadChunkExtension},
		{name: "extension too long", in: "3;a=" + strings.Repeat("b", DefaultMaxChunkLineBytes) + "\r\nabc\r\n0\r\n\r\n", want: ErrChunkLineTooLong},
		{name: "LF-only size line", in: "3\nabc\r\n0\r\n\r\n", want: ErrBareLF},
		{name: "LF-only after data", in: "3\r\nabc\n0\r\n\r\n", want: ErrMissingChunkCRLF},
		{name: "data longer than size", in: "3\r\nabcd\r\n0\r\n\r\n", want: ErrMissingChunkCRLF},
		{name: "LF-only last chunk", in: "3\r\nabc\r\n0\n\r\n", want: ErrBareLF},
		{name: "LF-only end", in: "3\r\nabc\r\n0\r\n\n", want: ErrBareLF},
		{name: "truncated data", in: "5\r\nabc", want: ErrBodyTruncated},
		{name: "truncated before last chunk", in: "3\r\nabc\r\n", want: ErrBodyTruncated},
		{name: "trailer obs-fold", in: "0\r\nX: a\r\n b\r\n\r\n", want: ErrObsFold},
		{name: "trailer NUL", in: "0\r\nX: a\x00\r\n\r\n", want: ErrBadFieldValue},
		{name: "trailer space before colon", in: "0\r\nX : a\r\n\r\n", want: ErrBadFieldName},
		{name: "trailers too large", in: "0\r\nX: " + strings.Repeat("a", DefaultMaxHeadBytes) + "\r\n\r\n", want: ErrTrailersTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, _, _, err := decodeChunked(tc.in)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil || body != tc.body {
				t.Fatalf("got %q, %v; want %q, nil", body, err, tc.body)
			}
		})
	}
}

func TestChunkedReaderStopsAtBodyEndAndExposesTrailers(t *testing.T) {
	body, trailers, rest, err := decodeChunked("2\r\nhi\r\n0\r\nChecksum: abc\r\nX-T:  1 \r\n\r\nGET / HTTP/1.1\r\n")
	if err != nil || body != "hi" {
		t.Fatalf("got %q, %v; want \"hi\", nil", body, err)
	}
	if v, _ := trailers.Get("checksum"); string(v) != "abc" {
		t.Errorf("got Checksum trailer %q, want \"abc\"", v)
	}
	if v, _ := trailers.Get("x-t"); string(v) != "1" {
		t.Errorf("got X-T trailer %q, want \"1\"", v)
	}
	if rest != "GET / HTTP/1.1\r\n" {
		t.Errorf("got remainder %q, want the next request", rest)
	}
}

func TestCopyChunkedReencodes(t *testing.T) {
	in := "3;ext=1\r\nabc\r\n00002\r\nde\r\n0\r\nChecksum: x\r\nContent-Length: 9\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	var cr ChunkedReader
	cr.Reset(br, Limits{})
	var out bytes.Buffer
	var cw ChunkedWriter
	cw.Reset(&out)
	n, err := CopyChunked(&cw, &cr, make([]byte, 64))
	if err != nil || n != 5 {
		t.Fatalf("got n=%d err=%v, want 5, nil", n, err)
	}
	want := "3\r\nabc\r\n2\r\nde\r\n0\r\nChecksum: x\r\n\r\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestChunkedWriterRoundTrip(t *testing.T) {
	var out bytes.Buffer
	var cw ChunkedWriter
	cw.Reset(&out)
	big := bytes.Repeat([]byte("z"), 4097)
	for _, p := range [][]byte{[]byte("a"), nil, big} {
		if _, err := cw.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Close(nil); err != nil {
		t.Fatal(err)
	}
	body, _, _, err := decodeChunked(out.String())
	if want := "a" + string(big); err != nil || body != want {
		t.Fatalf("got %d bytes, %v; want %d bytes, nil", len(body), err, len(want))
	}
}

func TestContentLengthReader(t *testing.T) {
	var c ContentLengthReader
	c.Reset(strings.NewReader("abcdef"), 4)
	b, err := io.ReadAll(&c)
	if err != nil || string(b) != "abcd" {
		t.Errorf("got %q, %v; want \"abcd\", nil", b, err)
	}
	c.Reset(strings.NewReader("ab"), 4)
	if _, err := io.ReadAll(&c); !errors.Is(err, ErrBodyTruncated) {
		t.Errorf("short body: got %v, want ErrBodyTruncated", err)
	}
	if c.Remaining() != 2 {
		t.Errorf("got remaining %d, want 2", c.Remaining())
	}
}
