// Command l4load is bench/l4.sh's load generator and echo backend: short TCP connections
// (connect, one small echo, close), short TLS connections (the same inside a full TLS
// handshake, for SNI passthrough) and UDP request/reply datagrams.
//
//	l4load echo ADDR                      TCP and UDP echo server on ADDR
//	l4load tlsecho ADDR                   TLS echo server on ADDR (a self-signed certificate made at start)
//	l4load tcp ADDR CONNS SECONDS         short connections from CONNS workers; prints conns/s
//	l4load tls ADDR CONNS SECONDS SNI     short TLS connections asking for server name SNI; prints conns/s
//	l4load udp ADDR CLIENTS SECONDS       CLIENTS sockets ping-ponging datagrams; prints datagrams/s
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: l4load echo ADDR | tlsecho ADDR | tcp ADDR CONNS SECONDS | tls ADDR CONNS SECONDS SNI | udp ADDR CLIENTS SECONDS")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "echo":
		echo(os.Args[2])
	case "tlsecho":
		tlsEcho(os.Args[2])
	case "tcp", "udp", "tls":
		n, _ := strconv.Atoi(os.Args[3])
		secs, _ := strconv.Atoi(os.Args[4])
		run(os.Args[1], os.Args[2], n, time.Duration(secs)*time.Second)
	}
}

func echo(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		panic(err)
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err == nil {
				pc.WriteTo(buf[:n], from)
			}
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() { io.Copy(c, c); c.Close() }()
	}
}

func run(mode, addr string, workers int, d time.Duration) {
	var done atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch mode {
			case "tcp":
				shortConns(addr, stop, &done)
			case "tls":
				shortTLS(addr, os.Args[5], stop, &done)
			default:
				pingPong(addr, stop, &done)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%s_ops=%d ops/s=%.0f", mode, done.Load(), float64(done.Load())/d.Seconds())
	if n := dialErrors.Load(); n > 0 {
		fmt.Printf(" dial_errors=%d", n) // e.g. no ephemeral port left: the run measures little
	}
	if n := failures.Load(); n > 0 {
		fmt.Printf(" failed=%d (first: %v)", n, firstFailure.Load())
	}
	fmt.Println()
}

// dialErrors counts failed connects of the tcp and tls modes; failures counts connections
// whose exchange failed, and firstFailure keeps the first such error.
var (
	dialErrors, failures atomic.Int64
	firstFailure         atomic.Value
)

func exchangeFailed(err error) {
	if failures.Add(1) == 1 {
		firstFailure.Store(err.Error())
	}
}

func shortConns(addr string, stop time.Time, done *atomic.Int64) {
	buf := make([]byte, 16)
	for time.Now().Before(stop) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			dialErrors.Add(1)
			continue
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write([]byte("0123456789abcdef")); err == nil {
			if _, err := io.ReadFull(c, buf); err == nil {
				done.Add(1)
			}
		}
		c.Close()
	}
}

func pingPong(addr string, stop time.Time, done *atomic.Int64) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return
	}
	defer c.Close()
	buf := make([]byte, 512)
	msg := make([]byte, 64)
	for time.Now().Before(stop) {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		c.Write(msg)
		if _, err := c.Read(buf); err == nil {
			done.Add(1)
		}
	}
}
