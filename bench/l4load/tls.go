package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync/atomic"
	"time"
)

// selfSigned makes a P-256 certificate for name, valid for a day.
func selfSigned(name string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsEcho terminates TLS on addr and echoes each connection until EOF.
func tlsEcho(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned("bench.example")}}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() { tc := tls.Server(c, cfg); io.Copy(tc, tc); tc.Close() }()
	}
}

// shortTLS repeats: connect, full TLS handshake for serverName (no resumption), one 16-byte
// echo, close.
func shortTLS(addr, serverName string, stop time.Time, done *atomic.Int64) {
	cfg := &tls.Config{ServerName: serverName, InsecureSkipVerify: true} // the bench's own self-signed backend
	buf := make([]byte, 16)
	for time.Now().Before(stop) {
		raw, err := net.Dial("tcp", addr)
		if err != nil {
			dialErrors.Add(1)
			continue
		}
		raw.SetDeadline(time.Now().Add(2 * time.Second))
		c := tls.Client(raw, cfg)
		_, err = c.Write([]byte("0123456789abcdef"))
		if err == nil {
			_, err = io.ReadFull(c, buf)
		}
		if err == nil {
			done.Add(1)
		} else {
			exchangeFailed(err)
		}
		c.Close()
	}
}
