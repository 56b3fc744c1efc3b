package health

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// MaxBodyBytes bounds how much of a response body the HTTP check reads when it looks for
// ExpectBody; only that prefix is searched.
const MaxBodyBytes = 64 << 10

// Bounds on what the HTTP check accepts before the body.
const (
	maxLineBytes      = 4 << 10  // one status or header line; also the read buffer size
	maxHeaderBytes    = 16 << 10 // all header lines of one response
	maxInterimReplies = 4        // 1xx responses skipped before the final one
)

// HTTP passes when a GET of Path answers with a status Status accepts and, when ExpectBody is
// set, a body whose first MaxBodyBytes contain it. It speaks HTTP/1.1 over a fresh TCP
// connection per check, sending Connection: close.
type HTTP struct {
	Path       string         // request target; "" means DefaultPath
	Host       string         // Host header; "" means the address checked
	Status     func(int) bool // accepted statuses; nil means DefaultExpectStatus
	ExpectBody string         // substring the body must contain; "" means the body is not read
}

// Check performs one GET against address and returns why it failed, or nil.
func (h *HTTP) Check(ctx context.Context, address string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	stop := bindDeadline(ctx, conn)
	defer stop()
	if _, err := io.WriteString(conn, h.request(address)); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	return h.judge(bufio.NewReaderSize(conn, maxLineBytes))
}

// bindDeadline makes conn's I/O fail when ctx's deadline passes or ctx is cancelled. The
// returned func releases the cancellation hook.
func bindDeadline(ctx context.Context, conn net.Conn) (stop func() bool) {
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	return context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
}

// request is the exact bytes of the GET sent to address.
func (h *HTTP) request(address string) string {
	path, host := h.Path, h.Host
	if path == "" {
		path = DefaultPath
	}
	if host == "" {
		host = address
	}
	return "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUser-Agent: fulcrum-health\r\nConnection: close\r\n\r\n"
}

// judge reads the response from br and decides the check.
func (h *HTTP) judge(br *bufio.Reader) error {
	status, err := readFinalStatus(br)
	if err != nil {
		return err
	}
	if !h.accepts(status) {
		return fmt.Errorf("status %d not expected", status)
	}
	if h.ExpectBody == "" {
		return nil
	}
	body, err := readBody(br, status, MaxBodyBytes)
	if err != nil {
		return err
	}
	if !strings.Contains(string(body), h.ExpectBody) {
		return fmt.Errorf("body (%d bytes read) does not contain %q", len(body), h.ExpectBody)
	}
	return nil
}

func (h *HTTP) accepts(status int) bool {
	if h.Status == nil {
		return status >= 200 && status <= 399
	}
	return h.Status(status)
}

// readFinalStatus reads status lines, skipping interim 1xx responses with their headers, and
// returns the first final status. The final response's headers are left unread.
func readFinalStatus(br *bufio.Reader) (int, error) {
	for range maxInterimReplies + 1 {
		line, err := readLine(br)
		if err != nil {
			return 0, fmt.Errorf("read status line: %w", err)
		}
		status, err := parseStatusLine(line)
		if err != nil || status >= 200 {
			return status, err
		}
		if _, err := readHeaders(br); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("more than %d interim responses", maxInterimReplies)
}

// parseStatusLine accepts exactly "HTTP/1.x SP 3DIGIT [SP reason]" with x 0 or 1 and the
// status within 100-599.
func parseStatusLine(line string) (int, error) {
	bad := fmt.Errorf("malformed status line %q", truncate(line, 64))
	if len(line) < 12 || (line[:9] != "HTTP/1.1 " && line[:9] != "HTTP/1.0 ") {
		return 0, bad
	}
	if len(line) > 12 && line[12] != ' ' {
		return 0, bad
	}
	status := 0
	for _, c := range []byte(line[9:12]) {
		if c < '0' || c > '9' {
			return 0, bad
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 || status > 599 {
		return 0, bad
	}
	return status, nil
}

// readLine returns one line without its line ending (CRLF, or a bare LF). A line longer than
// maxLineBytes or cut off by the end of the stream is an error.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("line longer than %d bytes", maxLineBytes)
	}
	if errors.Is(err, io.EOF) {
		return "", io.ErrUnexpectedEOF
	}
	if err != nil {
		return "", err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
