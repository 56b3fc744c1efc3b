package h1_test

import (
	"fmt"
	"strings"

	"github.com/fulcrum-lb/fulcrum/h1"
)

// A proxy parses the client's head, decides framing, and forwards a normalized head.
func ExampleParseRequest() {
	in := []byte("POST /upload HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive\r\n" +
		"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	var req h1.Request
	n, err := h1.ParseRequest(in, h1.Limits{}, &req)
	if err != nil {
		fmt.Println("refuse with", err.(*h1.Error).Status)
		return
	}
	fmt.Printf("head %d bytes, body %v, host %s\n", n, req.Body, req.Host)
	out := h1.AppendRequestHead(nil, &req, &h1.Forwarding{Via: "1.1 fulcrum", ClientIP: []byte("192.0.2.7"), Proto: "https"})
	fmt.Print(strings.ReplaceAll(string(out), "\r\n", "\n")) // CRLFs shown as newlines
	// Output:
	// head 97 bytes, body chunked, host shop.example
	// POST /upload HTTP/1.1
	// Host: shop.example
	// Via: 1.1 fulcrum
	// X-Forwarded-For: 192.0.2.7
	// X-Forwarded-Proto: https
	// X-Forwarded-Host: shop.example
	// Transfer-Encoding: chunked
}

// A smuggling attempt gets the status to answer before closing the connection.
func ExampleError() {
	in := []byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n")
	var req h1.Request
	_, err := h1.ParseRequest(in, h1.Limits{}, &req)
	fmt.Println(err.(*h1.Error).Status, err)
	// Output: 400 h1: 400 both Content-Length and Transfer-Encoding
}
