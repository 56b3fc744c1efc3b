// Package accesslog owns fulcrum's access log: one JSON line per request (L7) or connection
// (L4), written with log/slog's JSON handler to stdout, stderr or a file, with sampling. A
// file is appended to and can be reopened (on SIGUSR1) after logrotate has moved it.
//
// On the hot path a data path asks Start for an Entry; Start returns nil, without
// allocating, when the request is sampled out (or the logger is nil), so the cost of an
// unlogged request is one random number:
//
//	if e := log.Start(); e != nil {
//		e.Listener, e.Status = name, status
//		log.Log(e) // writes the line and recycles e
//	}
package accesslog

import (
	"context"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Entry is one access log line. Zero fields are left out of the line, except Status and the
// byte counts. An Entry comes from Start and must not be used after Log.
type Entry struct {
	Time     time.Time // when the request or connection started; zero: when Log runs
	Client   string    // client address, host:port
	Listener string
	Route    string
	Pool     string
	Backend  string // backend address that answered (the last tried)
	Method   string // L7 only
	Host     string // L7 only
	Path     string // L7 only
	Status   int    // HTTP status sent; 0 for L4 or when none was sent
	BytesIn  int64  // from the client
	BytesOut int64  // to the client
	TTFB     time.Duration
	Total    time.Duration
	Retries  int
	Error    string

	attrs [16]slog.Attr // scratch space for Log
}

// Options configure a Logger.
type Options struct {
	// Path is a file to append to, or "stdout" / "stderr".
	Path string
	// Sample is the fraction of requests logged, in (0, 1]; 0 means 1.
	Sample float64
	// Stdout and Stderr replace os.Stdout and os.Stderr (tests); nil: the real ones.
	Stdout, Stderr io.Writer
}

// Logger writes access log lines. It is safe for concurrent use; a nil *Logger logs nothing.
type Logger struct {
	out       *output
	handler   slog.Handler
	threshold uint64 // a request is logged when a random uint64 is below it; MaxUint64: all
	entries   sync.Pool
}

// New opens the output named by opts.Path.
func New(opts Options) (*Logger, error) {
	out, err := openOutput(opts)
	if err != nil {
		return nil, err
	}
	l := &Logger{out: out, threshold: threshold(opts.Sample)}
	l.handler = slog.NewJSONHandler(out, &slog.HandlerOptions{ReplaceAttr: dropLevel})
	l.entries.New = func() any { return new(Entry) }
	return l, nil
}

// threshold maps a sampling fraction to a bound on a uniform random uint64.
func threshold(sample float64) uint64 {
	if sample <= 0 || sample >= 1 {
		return math.MaxUint64
	}
	return uint64(sample * math.MaxUint64)
}

// dropLevel removes the level attribute: every access line has the same one.
func dropLevel(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		return slog.Attr{}
	}
	return a
}

// Start returns an empty Entry when this request is to be logged, or nil when it is
// sampled out or l is nil. It allocates nothing in either case once the pool is warm.
func (l *Logger) Start() *Entry {
	if l == nil {
		return nil
	}
	if l.threshold != math.MaxUint64 && rand.Uint64() >= l.threshold {
		return nil
	}
	return l.entries.Get().(*Entry)
}

// Log writes e as one JSON line and recycles it; e must come from Start. A nil e is ignored.
func (l *Logger) Log(e *Entry) {
	if l == nil || e == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r := slog.NewRecord(e.Time, slog.LevelInfo, "access", 0)
	r.AddAttrs(e.fill()...)
	_ = l.handler.Handle(context.Background(), r) // a full disk must not fail requests
	*e = Entry{}
	l.entries.Put(e)
}

// fill lays e's fields out as attributes in its scratch space.
func (e *Entry) fill() []slog.Attr {
	a := e.attrs[:0]
	a = appendString(a, "client", e.Client)
	a = appendString(a, "listener", e.Listener)
	a = appendString(a, "route", e.Route)
	a = appendString(a, "pool", e.Pool)
	a = appendString(a, "backend", e.Backend)
	a = appendString(a, "method", e.Method)
	a = appendString(a, "host", e.Host)
	a = appendString(a, "path", e.Path)
	a = append(a, slog.Int("status", e.Status), slog.Int64("bytes_in", e.BytesIn), slog.Int64("bytes_out", e.BytesOut))
	a = append(a, slog.Float64("ttfb_s", e.TTFB.Seconds()), slog.Float64("total_s", e.Total.Seconds()))
	if e.Retries > 0 {
		a = append(a, slog.Int("retries", e.Retries))
	}
	return appendString(a, "error", e.Error)
}

func appendString(a []slog.Attr, key, v string) []slog.Attr {
	if v == "" {
		return a
	}
	return append(a, slog.String(key, v))
}

// Reopen reopens a file output at its path, so lines go to a new file after logrotate has
// renamed the old one. For stdout and stderr it does nothing.
func (l *Logger) Reopen() error {
	if l == nil {
		return nil
	}
	return l.out.reopen()
}

// Close closes a file output. Lines logged afterwards are lost.
func (l *Logger) Close() error {
	if l == nil {
		return nil
	}
	return l.out.close()
}
