// Package demo runs fulcrum's demo: three small backends that answer with their own name,
// and the embedded configuration that balances over them.
package demo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Config is the demo's embedded configuration.
//
//go:embed fulcrum.yaml
var Config []byte

// Backends are the demo backends' names and addresses, as the embedded config names them.
var Backends = []struct{ Name, Addr string }{
	{"alpha", "127.0.0.1:9001"},
	{"bravo", "127.0.0.1:9002"},
	{"charlie", "127.0.0.1:9003"},
}

// StartBackends starts one HTTP server per entry of Backends. Each answers every path with
// "hello from NAME", /healthz with "ok", and /slow after a delay. Stop them with the returned
// function.
func StartBackends() (stop func(), err error) {
	var servers []*http.Server
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, s := range servers {
			s.Shutdown(ctx)
		}
	}
	for _, b := range Backends {
		ln, err := net.Listen("tcp", b.Addr)
		if err != nil {
			stop()
			return nil, fmt.Errorf("demo backend %s: %w", b.Name, err)
		}
		srv := &http.Server{Handler: Handler(b.Name), ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, srv)
		go serve(srv, ln)
	}
	return stop, nil
}

func serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Println("demo backend:", err)
	}
}

// Handler answers as the demo backend called name.
func Handler(name string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		fmt.Fprintf(w, "hello from %s (slowly)\n", name)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", name)
		fmt.Fprintf(w, "hello from %s\n", name)
	})
	return mux
}
