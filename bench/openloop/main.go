// Command openloop sends HTTP/1.1 GETs at a fixed rate over keep-alive connections and reports
// latency percentiles without coordinated omission: request i is due at start + i/rate whether
// or not earlier ones were answered, and its latency runs from that due time, so time a request
// spent waiting for a free connection (a stalled proxy) counts against the proxy.
//
//	openloop -addr 127.0.0.1:8184 -rate 5000 -d 10s -c 64
//
// It prints one line: rate, requests answered, errors, p50, p90, p99, p99.9 and max latency
// (microseconds), after a warm-up whose requests are not counted.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	addr, path     string
	rate           float64
	dur, warm      time.Duration
	conns, backlog int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8184", "server address")
	flag.StringVar(&cfg.path, "path", "/", "request target")
	flag.Float64Var(&cfg.rate, "rate", 1000, "requests per second")
	flag.DurationVar(&cfg.dur, "d", 10*time.Second, "measured duration")
	flag.DurationVar(&cfg.warm, "warmup", time.Second, "unmeasured duration first")
	flag.IntVar(&cfg.conns, "c", 64, "keep-alive connections")
	flag.Parse()
	if cfg.rate <= 0 || cfg.conns <= 0 || cfg.dur <= 0 {
		fmt.Fprintln(os.Stderr, "openloop: -rate, -c and -d must be positive")
		os.Exit(2)
	}
	r, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openloop:", err)
		os.Exit(1)
	}
	fmt.Println(r)
}

// result is what one run measured.
type result struct {
	rate      float64
	latencies []time.Duration // of answered measured requests, sorted
	errors    int64
	late      int64 // measured requests still unanswered at the end
}

func (r result) String() string {
	return fmt.Sprintf("rate=%.0f answered=%d errors=%d unanswered=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d",
		r.rate, len(r.latencies), r.errors, r.late, r.pct(50), r.pct(90), r.pct(99), r.pct(99.9), r.pct(100))
}

// pct returns the q-th percentile in microseconds (nearest rank).
func (r result) pct(q float64) int64 {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q/100*float64(len(r.latencies))+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)].Microseconds()
}

// run dials the connections, then schedules requests until warm-up + duration have passed, and
// waits a little for the last answers.
func run(cfg config) (result, error) {
	conns := make([]*client, cfg.conns)
	for i := range conns {
		c, err := dial(cfg)
		if err != nil {
			return result{}, err
		}
		conns[i] = c
	}
	total := int(cfg.rate * (cfg.warm + cfg.dur).Seconds())
	due := make(chan time.Time, total) // the queue of due requests; never blocks the scheduler
	var rec recorder
	rec.measuredFrom = int64(cfg.rate * cfg.warm.Seconds())
	rec.lat = make([]time.Duration, total)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); c.serve(due, &rec) }()
	}
	schedule(due, cfg.rate, total)
	close(due)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(2 * time.Second):
		for _, c := range conns {
			c.conn.Close()
		}
		<-finished
	}
	return rec.result(cfg.rate), nil
}

// schedule puts request i's due time on the queue at start + i/rate, sleeping in between; the
// due time is exact even when the sleep overshoots.
func schedule(due chan<- time.Time, rate float64, total int) {
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		due <- at
	}
}

// recorder collects latencies by request sequence number; the first measuredFrom are warm-up.
type recorder struct {
	seq          atomic.Int64
	measuredFrom int64
	lat          []time.Duration // 0: not answered
	errors       atomic.Int64
}

func (r *recorder) record(d time.Duration, err error) {
	i := r.seq.Add(1) - 1
	if i < r.measuredFrom {
		return
	}
	if err != nil {
		r.errors.Add(1)
		return
	}
	r.lat[i] = d
}

func (r *recorder) result(rate float64) result {
	res := result{rate: rate, errors: r.errors.Load()}
	measured := r.lat[r.measuredFrom:]
	for _, d := range measured {
		if d > 0 {
			res.latencies = append(res.latencies, d)
		}
	}
	res.late = int64(len(measured)) - int64(len(res.latencies)) - res.errors
	slices.Sort(res.latencies)
	return res
}

// client is one keep-alive connection sending one request at a time.
type client struct {
	cfg  config
	conn net.Conn
	br   *bufio.Reader
	req  []byte
}

func dial(cfg config) (*client, error) {
	c, err := net.Dial("tcp", cfg.addr)
	if err != nil {
		return nil, err
	}
	req := []byte("GET " + cfg.path + " HTTP/1.1\r\nHost: " + cfg.addr + "\r\nUser-Agent: openloop\r\n\r\n")
	return &client{cfg: cfg, conn: c, br: bufio.NewReader(c), req: req}, nil
}

// serve takes due requests off the queue, sends each and records its latency from the due
// time; a failed connection is redialled.
func (c *client) serve(due <-chan time.Time, rec *recorder) {
	for at := range due {
		err := c.roundTrip()
		if err != nil {
			c.redial()
		}
		rec.record(time.Since(at), err)
	}
	c.conn.Close()
}

// roundTrip sends the request and reads the response: a head that must be 200 with a
// Content-Length, and that many body bytes. It parses only what it needs, allocation-free, so
// the generator spends little of the CPU it shares with the backends. A response that closes
// the connection (a server's per-connection request limit) counts as answered; the connection
// is redialled.
func (c *client) roundTrip() error {
	if _, err := c.conn.Write(c.req); err != nil {
		return err
	}
	status, length, closing, err := c.readHead()
	if err != nil {
		return err
	}
	if _, err := c.br.Discard(length); err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("status %d", status)
	}
	if closing {
		return c.redial()
	}
	return nil
}

// readHead reads a response head line by line.
func (c *client) readHead() (status, length int, closing bool, err error) {
	length = -1
	for first := true; ; first = false {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case first:
			if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
				return 0, 0, false, fmt.Errorf("bad status line %q", line)
			}
			status, _ = strconv.Atoi(string(line[9:12]))
		case len(line) == 0:
			if length < 0 {
				return 0, 0, false, errors.New("response without Content-Length")
			}
			return status, length, closing, nil
		default:
			name, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimSpace(value)
			if bytes.EqualFold(name, []byte("Content-Length")) {
				length, _ = strconv.Atoi(string(value))
			} else if bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")) {
				closing = true
			}
		}
	}
}

func (c *client) redial() error {
	c.conn.Close()
	nc, err := dial(c.cfg)
	if err != nil {
		return err
	}
	c.conn, c.br = nc.conn, nc.br
	return nil
}
