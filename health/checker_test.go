package health

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/loopback"
)

// listening returns the address of a loopback listener that accepts and closes connections
// until the test ends.
func listening(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	return ln.Addr().String()
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestTCPCheck(t *testing.T) {
	tests := []struct {
		name    string
		address string
		wantErr bool
	}{
		{name: "listener accepts", address: listening(t), wantErr: false},
		{name: "closed port", address: loopback.ClosedPort(t), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := TCP{}.Check(withTimeout(t, time.Second), tt.address)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check(%s): got error %v, want error: %v", tt.address, err, tt.wantErr)
			}
		})
	}
}

func TestNewChecker(t *testing.T) {
	tests := []struct {
		name string
		hc   config.HealthCheck
		want string // type of the checker, "nil" or "invalid"
	}{
		{name: "empty type", hc: config.HealthCheck{}, want: "nil"},
		{name: "none", hc: config.HealthCheck{Type: "none"}, want: "nil"},
		{name: "tcp", hc: config.HealthCheck{Type: "tcp"}, want: "tcp"},
		{name: "http", hc: config.HealthCheck{Type: "http", Path: "/healthz", ExpectBody: "ok"}, want: "http"},
		{name: "unknown type", hc: config.HealthCheck{Type: "udp"}, want: "invalid"},
		{name: "bad status", hc: config.HealthCheck{Type: "http", ExpectStatus: []string{"2xx"}}, want: "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			switch c := NewChecker(tt.hc).(type) {
			case nil:
				got = "nil"
			case TCP:
				got = "tcp"
			case *HTTP:
				got = "http"
				if c.Path != tt.hc.Path || c.ExpectBody != tt.hc.ExpectBody || c.Status == nil {
					t.Errorf("got %+v, want Path %q, ExpectBody %q and a Status predicate", c, tt.hc.Path, tt.hc.ExpectBody)
				}
			case invalid:
				got = "invalid"
				if err := c.Check(context.Background(), "127.0.0.1:1"); err == nil || err.Error() != Validate(tt.hc).Error() {
					t.Errorf("invalid checker: got error %v, want the validation error %v", err, Validate(tt.hc))
				}
			default:
				got = "unexpected"
			}
			if got != tt.want {
				t.Fatalf("NewChecker(%+v): got %s, want %s", tt.hc, got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		hc      config.HealthCheck
		wantErr string // substring; "" means valid
	}{
		{name: "zero value", hc: config.HealthCheck{}},
		{name: "full http", hc: config.HealthCheck{Type: "http", Path: "/h?x=1", Host: "svc", Port: 8081, Rise: 1, Fall: 1, ExpectStatus: []string{"200", "301-302"}}},
		{name: "unknown type", hc: config.HealthCheck{Type: "icmp"}, wantErr: `type "icmp"`},
		{name: "relative path", hc: config.HealthCheck{Type: "http", Path: "healthz"}, wantErr: "health_check.path"},
		{name: "path with space", hc: config.HealthCheck{Type: "http", Path: "/a b"}, wantErr: "health_check.path"},
		{name: "host with CRLF", hc: config.HealthCheck{Type: "http", Host: "a\r\nX-Evil: 1"}, wantErr: "health_check.host"},
		{name: "port too big", hc: config.HealthCheck{Type: "tcp", Port: 70000}, wantErr: "health_check.port 70000"},
		{name: "negative fall", hc: config.HealthCheck{Type: "tcp", Fall: -1}, wantErr: "must not be negative"},
		{name: "status out of range", hc: config.HealthCheck{Type: "http", ExpectStatus: []string{"200-600"}}, wantErr: `expect_status "200-600"`},
		{name: "reversed range", hc: config.HealthCheck{Type: "http", ExpectStatus: []string{"399-200"}}, wantErr: `expect_status "399-200"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.hc)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		specs  []string
		code   int
		wanted bool
	}{
		{specs: nil, code: 200, wanted: true},
		{specs: nil, code: 399, wanted: true},
		{specs: nil, code: 400, wanted: false},
		{specs: nil, code: 199, wanted: false},
		{specs: []string{"204"}, code: 204, wanted: true},
		{specs: []string{"204"}, code: 200, wanted: false},
		{specs: []string{"200", "500-503"}, code: 502, wanted: true},
		{specs: []string{"200", "500-503"}, code: 504, wanted: false},
		{specs: []string{" 300 - 301 "}, code: 301, wanted: true},
	}
	for _, tt := range tests {
		accepts, err := ParseStatus(tt.specs)
		if err != nil {
			t.Fatalf("ParseStatus(%q): got error %v, want none", tt.specs, err)
		}
		if got := accepts(tt.code); got != tt.wanted {
			t.Errorf("ParseStatus(%q)(%d): got %v, want %v", tt.specs, tt.code, got, tt.wanted)
		}
	}
}

func TestParseStatusRejects(t *testing.T) {
	for _, spec := range []string{"", "abc", "2xx", "99", "600", "200-", "-300", "300-200", "200-300-400"} {
		if _, err := ParseStatus([]string{spec}); err == nil {
			t.Errorf("ParseStatus(%q): got no error, want one", spec)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		address string
		port    int
		want    string
	}{
		{address: "127.0.0.1:80", port: 0, want: "127.0.0.1:80"},
		{address: "127.0.0.1:80", port: 9000, want: "127.0.0.1:9000"},
		{address: "[::1]:80", port: 9000, want: "[::1]:9000"},
		{address: "db.internal:5432", port: 8008, want: "db.internal:8008"},
		{address: "db.internal", port: 8008, want: "db.internal:8008"},
	}
	for _, tt := range tests {
		if got := checkAddress(tt.address, tt.port); got != tt.want {
			t.Errorf("checkAddress(%q, %d): got %q, want %q", tt.address, tt.port, got, tt.want)
		}
	}
}

func TestCheckStopsAtDeadline(t *testing.T) {
	// A server that accepts but never answers: the check must give up at the deadline.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			conn.Read(make([]byte, 1024)) // hold the connection open
			time.Sleep(2 * time.Second)
		}
	}()
	const timeout = 100 * time.Millisecond
	start := time.Now()
	err = (&HTTP{}).Check(withTimeout(t, timeout), ln.Addr().String())
	elapsed := time.Since(start)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		t.Errorf("got error %v, want a timeout", err)
	}
	if elapsed > timeout+500*time.Millisecond {
		t.Errorf("check took %v, want about %v", elapsed, timeout)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
