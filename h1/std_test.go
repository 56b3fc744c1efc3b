package h1

import (
	"bufio"
	"net/http"
)

func readStdRequest(br *bufio.Reader) (*http.Request, error) { return http.ReadRequest(br) }
