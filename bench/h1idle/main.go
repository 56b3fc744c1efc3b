// Command h1idle opens N keep-alive HTTP/1.1 connections to a proxy, sends one GET on each,
// reads the response, and holds them idle while it prints the proxy's resident memory per
// connection (from /proc/PID/status, VmRSS) before and after.
//
//	h1idle -addr 127.0.0.1:8184 -pid 1234 -n 10000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8184", "proxy address")
	pid := flag.Int("pid", 0, "proxy process id")
	n := flag.Int("n", 10000, "idle connections")
	flag.Parse()
	before := rssKiB(*pid)
	conns := make([]net.Conn, 0, *n)
	for i := 0; i < *n; i++ {
		c, err := oneRequest(*addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "connection %d: %v\n", i, err)
			os.Exit(1)
		}
		conns = append(conns, c)
	}
	time.Sleep(3 * time.Second) // let the proxy settle (and a Go proxy run a GC)
	after := rssKiB(*pid)
	fmt.Printf("idle_conns=%d rss_before_kib=%d rss_after_kib=%d kib_per_conn=%.2f\n",
		*n, before, after, float64(after-before)/float64(*n))
	for _, c := range conns {
		c.Close()
	}
}

func oneRequest(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return c, nil
}

// rssKiB returns the resident set of pid and its children threads, in KiB.
func rssKiB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}
