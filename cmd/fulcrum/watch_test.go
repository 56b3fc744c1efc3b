package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// `fulcrum run` reloads when the config file is replaced (the -watch default), and keeps
// serving the old configuration when the new file is bad.
func TestRunReloadsWhenTheFileChanges(t *testing.T) {
	alpha, bravo := namedBackend(t, "alpha"), namedBackend(t, "bravo")
	addr := freePort(t)
	yaml := func(backend string) string {
		return fmt.Sprintf("listeners:\n  - name: web\n    listen: %s\n    routes: [{pool: app}]\npools:\n  - name: app\n    backends: [{address: %s}]\n", addr, backend)
	}
	cfg := writeFile(t, yaml(alpha))
	start(t, "run", "-c", cfg)
	waitListening(t, addr)
	for _, step := range []struct {
		name, file, want string
		settle           bool // give the watcher time to act before checking
	}{
		{name: "a new backend", file: yaml(bravo), want: "bravo"},
		{name: "a bad file keeps bravo", file: "listeners: []\npools: []\n", want: "bravo", settle: true},
		{name: "back to alpha", file: yaml(alpha), want: "alpha"},
	} {
		replaceFile(t, cfg, step.file)
		if step.settle {
			time.Sleep(600 * time.Millisecond)
		}
		waitFor(t, step.name, func() bool { return body("http://"+addr+"/") == step.want })
	}
}

func namedBackend(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func replaceFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path+".new", []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

func body(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
