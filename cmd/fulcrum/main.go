// Command fulcrum is a layer 4 and layer 7 load balancer.
//
//	fulcrum run [-c fulcrum.yaml]       serve until SIGTERM/SIGINT, then drain and exit 0
//	fulcrum validate [-c fulcrum.yaml]  print every problem as FILE:LINE:COL: message; exit 1 if any
//	fulcrum demo                        three demo backends and a balancer, no file needed
//	fulcrum version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/demo"
	"github.com/fulcrum-lb/fulcrum/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "fulcrum", version)
		return 0
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "fulcrum: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  fulcrum run [-c fulcrum.yaml]       serve until SIGTERM/SIGINT; SIGHUP reloads the file
  fulcrum validate [-c fulcrum.yaml]  check a configuration; exit 1 and list every problem
  fulcrum demo                        run three demo backends behind fulcrum (no file needed)
  fulcrum version
`)
}

func configFlag(name string, args []string, stderr io.Writer) (string, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "fulcrum.yaml", "configuration file")
	if fs.Parse(args) != nil {
		return "", false
	}
	return *path, true
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	path, ok := configFlag("validate", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "%s (warning)\n", w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return 0
}

func cmdRun(args []string, stderr io.Writer) int {
	path, ok := configFlag("run", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	return serve(cfg, path, func() (*config.Config, error) { return config.Load(path) }, logger)
}

func cmdDemo(stdout, stderr io.Writer) int {
	cfg, err := config.Parse("demo/fulcrum.yaml (embedded)", demo.Config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	stop, err := demo.StartBackends()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer stop()
	fmt.Fprint(stdout, demoHelp)
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	return serve(cfg, "", nil, logger)
}

const demoHelp = `fulcrum demo: three backends (alpha, bravo, charlie on 127.0.0.1:9001-9003)
balanced round robin by a listener on 127.0.0.1:8080. Try:

  curl -s http://127.0.0.1:8080/                 # answered by alpha, bravo, charlie in turn
  for i in $(seq 6); do curl -s http://127.0.0.1:8080/; done
  curl -si http://127.0.0.1:8080/ | grep -i -e x-backend -e via

Stop with Ctrl-C (in-flight requests finish first).
`

// serve runs cfg until SIGTERM or SIGINT; SIGHUP reloads through reload when it is set.
// path is the config file the admin API may persist to ("" for none).
func serve(cfg *config.Config, path string, reload func() (*config.Config, error), logger *slog.Logger) int {
	srv := server.New(logger)
	err := srv.Apply(cfg)
	var ops *server.Operations
	if err == nil {
		ops, err = srv.StartOperations(path)
	}
	if err != nil {
		logger.Error("cannot start", "err", err)
		srv.Shutdown(context.Background())
		return 1
	}
	defer ops.Shutdown(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			applyReload(srv, ops, reload, logger)
			continue
		}
		logger.Info("shutting down", "signal", sig.String())
		break
	}
	return shutdown(srv, drainTimeout(srv), logger)
}

func applyReload(srv *server.Server, ops *server.Operations, reload func() (*config.Config, error), logger *slog.Logger) {
	if reload == nil {
		return
	}
	cfg, err := reload()
	if err == nil {
		err = ops.Apply(cfg, "sighup")
	} else {
		ops.Refused("sighup", "invalid", err)
	}
	if err != nil {
		logger.Error("reload refused; the running configuration stays", "err", err)
		return
	}
	logger.Info("reloaded", "version", srv.Runtime().Snapshot().Version)
}

func drainTimeout(srv *server.Server) time.Duration {
	var d time.Duration
	for _, l := range srv.Runtime().Snapshot().Config.Listeners {
		d = max(d, l.DrainTimeout.Duration)
	}
	if d <= 0 {
		d = 30 * time.Second
	}
	return d
}

func shutdown(srv *server.Server, timeout time.Duration, logger *slog.Logger) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		logger.Error("shutdown", "err", err)
	}
	logger.Info("stopped")
	return 0
}
