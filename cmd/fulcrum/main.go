// Command fulcrum is a layer 4 and layer 7 load balancer.
//
//	fulcrum run [-c fulcrum.yaml] [-watch=true] [-pid-file F]
//	                                    serve until SIGTERM/SIGINT, then drain and exit 0;
//	                                    SIGHUP or a change of the file reloads it, SIGUSR1
//	                                    reopens the access log, SIGUSR2 upgrades the binary
//	fulcrum upgrade [-pid-file F]       hand the sockets to a new process of the binary
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

	"github.com/fulcrum-lb/fulcrum/accesslog"
	"github.com/fulcrum-lb/fulcrum/config"
	"github.com/fulcrum-lb/fulcrum/demo"
	"github.com/fulcrum-lb/fulcrum/reload"
	"github.com/fulcrum-lb/fulcrum/server"
	"github.com/fulcrum-lb/fulcrum/upgrade"
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
	case "upgrade":
		return cmdUpgrade(args[1:], stdout, stderr)
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
  fulcrum run [-c fulcrum.yaml] [-watch=true] [-pid-file F]
                                      serve until SIGTERM/SIGINT; SIGHUP or a change of the
                                      file reloads it; SIGUSR1 reopens the access log;
                                      SIGUSR2 upgrades to the binary now on disk
  fulcrum upgrade [-pid-file F]       upgrade the process of the pid file without dropping
                                      a connection; exit 1 if the new process failed
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
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "fulcrum.yaml", "configuration file")
	watch := fs.Bool("watch", true, "reload when the configuration file changes")
	pidFile := fs.String("pid-file", "", "write the process id here once serving (for `fulcrum upgrade`)")
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	upg, err := upgrade.New(*pidFile, server.ListenConfig())
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	return serve(cfg, runOptions{path: *path, watch: *watch, upgrader: upg}, logger)
}

func cmdUpgrade(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upgrade", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pidFile := fs.String("pid-file", "", "pid file of the running fulcrum (its -pid-file)")
	timeout := fs.Duration("timeout", upgrade.Timeout+30*time.Second, "how long to wait for the new process and the old one's drain")
	if fs.Parse(args) != nil {
		return 2
	}
	res, err := upgrade.Request(*pidFile, *timeout)
	if err != nil {
		fmt.Fprintln(stderr, "fulcrum upgrade:", err)
		return 1
	}
	fmt.Fprintf(stdout, "upgraded: pid %d serves; pid %d drained and exited\n", res.NewPID, res.OldPID)
	return 0
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
	return serve(cfg, runOptions{}, logger)
}

const demoHelp = `fulcrum demo: three backends (alpha, bravo, charlie on 127.0.0.1:9001-9003)
balanced round robin by a listener on 127.0.0.1:8080. Try:

  curl -s http://127.0.0.1:8080/                 # answered by alpha, bravo, charlie in turn
  for i in $(seq 6); do curl -s http://127.0.0.1:8080/; done
  curl -si http://127.0.0.1:8080/ | grep -i -e x-backend -e via

Dashboard (live, with drain / enable / weight controls): http://127.0.0.1:9900/
  curl -s http://127.0.0.1:9900/api/v1/pools/app        # backends with live state
  curl -s http://127.0.0.1:9900/metrics | grep fulcrum_  # Prometheus metrics
  while true; do curl -s http://127.0.0.1:8080/ >/dev/null; done   # load to watch

Stop with Ctrl-C (in-flight requests finish first).
`

// runOptions are the run command's: the config file ("" for the demo: no reloads, no
// persisting), whether to watch it, and the upgrader that owns the sockets (nil: plain ones).
type runOptions struct {
	path     string
	watch    bool
	upgrader *upgrade.Upgrader
}

// serve runs cfg until SIGTERM or SIGINT, or until an upgrade hands over to a new process.
func serve(cfg *config.Config, opts runOptions, logger *slog.Logger) int {
	access, err := openAccessLog(cfg)
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	defer access.Close()
	srv, ops, err := startServer(cfg, opts, access, logger)
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	defer ops.Shutdown(context.Background())
	reloader := newReloader(srv, ops, opts.path, logger)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if opts.watch && reloader != nil {
		watchFile(ctx, opts.path, reloader, logger)
	}
	if err := ready(opts.upgrader); err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	loop(srv, opts.upgrader, reloader, access, logger)
	return shutdown(srv, drainTimeout(srv), logger)
}

// startServer applies cfg to a new server (sockets from the upgrader when there is one,
// access lines to access) and opens the admin listener.
func startServer(cfg *config.Config, opts runOptions, access *accesslog.Logger, logger *slog.Logger) (*server.Server, *server.Operations, error) {
	srv := server.New(logger)
	srv.SetAccessLog(access)
	if opts.upgrader != nil {
		srv.SetSockets(opts.upgrader)
	}
	err := srv.Apply(cfg)
	var ops *server.Operations
	if err == nil {
		ops, err = srv.StartOperations(opts.path)
	}
	if err != nil {
		srv.Shutdown(context.Background())
		return nil, nil, err
	}
	return srv, ops, nil
}

// openAccessLog opens access_log as configured (nil when there is none); a change of
// access_log takes effect at the next start or upgrade.
func openAccessLog(cfg *config.Config) (*accesslog.Logger, error) {
	if cfg.AccessLog == nil {
		return nil, nil
	}
	return accesslog.New(accesslog.Options{Path: cfg.AccessLog.Path, Sample: cfg.AccessLog.Rate()})
}

func newReloader(srv *server.Server, ops *server.Operations, path string, logger *slog.Logger) *reload.Reloader {
	if path == "" {
		return nil
	}
	return &reload.Reloader{
		Load:    func() (*config.Config, error) { return config.Load(path) },
		Running: func() *config.Config { return srv.Runtime().Snapshot().Config },
		Ops:     ops,
		Logger:  logger,
	}
}

// watchFile reloads on every (debounced) change of the file until ctx ends.
func watchFile(ctx context.Context, path string, r *reload.Reloader, logger *slog.Logger) {
	w, err := reload.NewWatcher(path, reload.DefaultDebounce)
	if err != nil {
		logger.Warn("not watching the configuration file; SIGHUP still reloads", "err", err)
		return
	}
	go w.Run(ctx, func() { r.Reload("file") }, func(err error) { logger.Warn("watching the configuration file", "err", err) })
}

// ready tells a previous process (after an upgrade) that this one serves, and writes the
// pid file.
func ready(upg *upgrade.Upgrader) error {
	if upg == nil {
		return nil
	}
	return upg.Ready()
}

// loop handles signals until it is time to drain: SIGTERM/SIGINT, or a new process that
// has taken over after an upgrade.
func loop(srv *server.Server, upg *upgrade.Upgrader, r *reload.Reloader, access *accesslog.Logger, logger *slog.Logger) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	var handedOver <-chan struct{}
	if upg != nil {
		handedOver = upg.Exit()
	}
	for {
		select {
		case <-handedOver:
			logger.Info("a new process has taken over; draining")
			return
		case sig := <-sigs:
			if !handleSignal(sig, upg, r, access, logger) {
				logger.Info("shutting down", "signal", sig.String())
				if upg != nil {
					upg.Stop()
				}
				return
			}
		}
	}
}

// handleSignal acts on one signal; it reports false for a signal that ends the process.
func handleSignal(sig os.Signal, upg *upgrade.Upgrader, r *reload.Reloader, access *accesslog.Logger, logger *slog.Logger) bool {
	switch sig {
	case syscall.SIGHUP:
		if r != nil {
			r.Reload("sighup")
		}
	case syscall.SIGUSR1:
		if err := access.Reopen(); err != nil {
			logger.Error("reopening the access log", "err", err)
		}
	case syscall.SIGUSR2:
		go startUpgrade(upg, logger)
	default:
		return false
	}
	return true
}

// startUpgrade hands the sockets to a new process; on failure this one keeps serving.
func startUpgrade(upg *upgrade.Upgrader, logger *slog.Logger) {
	if upg == nil {
		logger.Warn("SIGUSR2 ignored: upgrades need `fulcrum run`")
		return
	}
	logger.Info("upgrade: starting a new process")
	if err := upg.Upgrade(); err != nil {
		logger.Error("upgrade failed; this process keeps serving", "err", err)
		return
	}
	logger.Info("upgrade: the new process is ready")
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
