package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fulcrum-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "fulcrum")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(fmt.Sprintf("go build: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fulcrum.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidate(t *testing.T) {
	good := writeFile(t, "listeners:\n  - name: web\n    listen: 127.0.0.1:8080\n    routes: [{pool: app}]\npools:\n  - name: app\n    backends: [{address: 127.0.0.1:9001}]\n")
	bad := writeFile(t, "listeners:\n  - name: web\n    listen: 127.0.0.1:8080\n    routes: [{pool: ap}]\npools:\n  - name: app\n    algoritm: round_robin\n    backends: [{address: 127.0.0.1:9001}]\n")
	for _, tc := range []struct {
		name     string
		path     string
		wantCode int
		want     []string
	}{
		{name: "valid file", path: good, wantCode: 0, want: []string{"ok"}},
		{name: "every problem at once", path: bad, wantCode: 1, want: []string{bad + ":4:", `"ap"`, bad + ":7:5:", `did you mean "algorithm"`}},
		{name: "missing file", path: filepath.Join(t.TempDir(), "nope.yaml"), wantCode: 1, want: []string{"nope.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(binary, "validate", "-c", tc.path).CombinedOutput()
			if code := exitCode(err); code != tc.wantCode {
				t.Errorf("exit code: got %d, want %d\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output %q does not contain %q", out, w)
				}
			}
		})
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestRunRefusesABadFile(t *testing.T) {
	bad := writeFile(t, "listeners: []\npools: []\n")
	out, err := exec.Command(binary, "run", "-c", bad).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), bad+":") {
		t.Errorf("got exit %d and %q, want 1 and FILE:LINE:COL problems", exitCode(err), out)
	}
}

// Issue 2: SIGTERM stops accepting and lets in-flight requests complete.
func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(800 * time.Millisecond)
		io.WriteString(w, "finished")
	})}
	bln, _ := net.Listen("tcp", "127.0.0.1:0")
	go backend.Serve(bln)
	defer backend.Close()
	addr := freePort(t)
	cfg := writeFile(t, fmt.Sprintf("listeners:\n  - name: web\n    listen: %s\n    routes: [{pool: app}]\npools:\n  - name: app\n    backends: [{address: %s}]\n", addr, bln.Addr()))
	cmd, stderr := start(t, "run", "-c", cfg)
	waitListening(t, addr)

	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{body: string(b)}
	}()
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("new connection accepted after SIGTERM, want refused")
	}
	r := <-done
	if r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request: got %q, %v; want \"finished\"", r.body, r.err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v, want 0\n%s", err, stderr)
	}
}

func start(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, &stderr
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s", addr)
}

// The README's first command: `fulcrum demo` serves three backends round robin.
func TestDemo(t *testing.T) {
	cmd := exec.Command(binary, "demo")
	stdout, _ := cmd.StdoutPipe()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	banner := bufio.NewReader(stdout)
	line, _ := banner.ReadString('\n')
	if !strings.Contains(line, "fulcrum demo") {
		// The demo binds fixed ports (8080, 9001-9003, 9900): another program holding one
		// makes it exit, and its stderr says which.
		t.Fatalf("banner: got %q; demo stderr:\n%s", line, stderr.String())
	}
	go io.Copy(io.Discard, banner)
	waitListening(t, "127.0.0.1:8080")
	seen := map[string]int{}
	for i := 0; i < 6; i++ {
		resp, err := http.Get("http://127.0.0.1:8080/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen[strings.TrimSpace(string(b))]++
	}
	for _, name := range []string{"alpha", "bravo", "charlie"} {
		if seen["hello from "+name] != 2 {
			t.Errorf("got answers %v, want each of alpha, bravo, charlie twice", seen)
		}
	}
	resp, err := http.Get("http://127.0.0.1:9900/")
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "fulcrum") {
		t.Errorf("dashboard: got %d and a page without \"fulcrum\", want the dashboard", resp.StatusCode)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo exit: %v, want 0", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a child process's output and the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
