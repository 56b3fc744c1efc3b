package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/fulcrum-lb/fulcrum/config"
)

// Checker probes one backend address. Check returns nil when the backend passes and an error
// saying why otherwise. It must return once ctx is done; the Monitor bounds ctx by the check
// timeout. Implementations are safe for concurrent use.
type Checker interface {
	Check(ctx context.Context, address string) error
}

// Check defaults, used where the configuration leaves a field zero.
const (
	DefaultPath         = "/"
	DefaultExpectStatus = "200-399"
)

// TCP passes when a TCP connection to the address opens before ctx is done.
type TCP struct{}

// Check dials address and closes the connection at once.
func (TCP) Check(ctx context.Context, address string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	return conn.Close()
}

// NewChecker builds the checker hc describes: nil for type "none" or "", TCP for "tcp",
// HTTP for "http", GRPC for "grpc". Zero fields take the package defaults. The configuration should have
// passed Validate; if it did not, the returned checker fails every check with the
// validation error, so the problem shows in the logs rather than as a silent pass.
func NewChecker(hc config.HealthCheck) Checker {
	if err := Validate(hc); err != nil {
		return invalid{err}
	}
	switch hc.Type {
	case "tcp":
		return TCP{}
	case "http":
		status, _ := ParseStatus(hc.ExpectStatus)
		return &HTTP{Path: hc.Path, Host: hc.Host, Status: status, ExpectBody: hc.ExpectBody}
	case "grpc":
		return &GRPC{Service: hc.Service}
	}
	return nil
}

// invalid is the checker of a configuration that failed validation.
type invalid struct{ err error }

func (c invalid) Check(context.Context, string) error { return c.err }

// Validate reports the first problem in hc: an unknown type, a path or host that cannot be
// sent in a request line, a bad status spec, a port out of range, or negative counts or
// durations.
func Validate(hc config.HealthCheck) error {
	switch hc.Type {
	case "", "none", "tcp", "http", "grpc":
	default:
		return fmt.Errorf("health_check.type %q: want http, tcp, grpc or none", hc.Type)
	}
	if hc.Path != "" && (!strings.HasPrefix(hc.Path, "/") || !printable(hc.Path)) {
		return fmt.Errorf("health_check.path %q: want an absolute path without spaces or control characters", hc.Path)
	}
	if !printable(hc.Host) {
		return fmt.Errorf("health_check.host %q: contains spaces or control characters", hc.Host)
	}
	if hc.Port < 0 || hc.Port > 65535 {
		return fmt.Errorf("health_check.port %d: want 1-65535 (or 0 for the backend's port)", hc.Port)
	}
	if hc.Interval.Duration < 0 || hc.Timeout.Duration < 0 || hc.Rise < 0 || hc.Fall < 0 {
		return errors.New("health_check: interval, timeout, rise and fall must not be negative")
	}
	_, err := ParseStatus(hc.ExpectStatus)
	return err
}

// printable reports whether s has only visible ASCII characters (no space, no control).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// ParseStatus turns status specs such as "200", "200-399" into a predicate accepting any
// status one of them covers. An empty list means DefaultExpectStatus.
func ParseStatus(specs []string) (func(int) bool, error) {
	if len(specs) == 0 {
		specs = []string{DefaultExpectStatus}
	}
	ranges := make([][2]int, 0, len(specs))
	for _, spec := range specs {
		r, err := parseStatusRange(spec)
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, r)
	}
	return func(code int) bool {
		for _, r := range ranges {
			if code >= r[0] && code <= r[1] {
				return true
			}
		}
		return false
	}, nil
}

// parseStatusRange parses "200" or "200-399" into an inclusive range within 100-599.
func parseStatusRange(spec string) ([2]int, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(spec), "-")
	if !isRange {
		hi = lo
	}
	a, errA := parseStatusCode(lo)
	b, errB := parseStatusCode(hi)
	if errA != nil || errB != nil || a > b {
		return [2]int{}, fmt.Errorf("health_check.expect_status %q: want a status (200) or a range (200-399) within 100-599", spec)
	}
	return [2]int{a, b}, nil
}

func parseStatusCode(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 100 || n > 599 {
		return 0, errors.New("bad status")
	}
	return n, nil
}

// checkAddress is the address to probe for a backend: its own, or with the port replaced
// when port is non-zero.
func checkAddress(address string, port int) string {
	if port == 0 {
		return address
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}
