package l4

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
	"testing"
	"time"
)

// testCA issues leaf certificates for the TLS backends of a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fulcrum test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

func (ca *testCA) leaf(t *testing.T, names ...string) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsBackend terminates TLS with its own certificate and answers with its name.
func tlsBackend(t *testing.T, name string, cert tls.Certificate) *backend {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	return startBackend(t, name, func(b *backend, c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			io.WriteString(tc, b.name)
		}
		tc.Close()
	})
}

func TestTLSPassthroughRoutesBySNI(t *testing.T) {
	eachEngine(t, testTLSPassthroughRoutesBySNI)
}

func testTLSPassthroughRoutesBySNI(t *testing.T, e engine) {
	ca := newCA(t)
	api := tlsBackend(t, "api", ca.leaf(t, "api.example.com"))
	web := tlsBackend(t, "web", ca.leaf(t, "www.shop.example", "shop.example"))
	fallback := tlsBackend(t, "fallback", ca.leaf(t, "fallback.example"))
	yaml := "listeners:\n  - name: front\n    protocol: tls\n    listen: 127.0.0.1:0\n    routes:\n" +
		"      - {match: {sni: [api.example.com]}, pool: api}\n" +
		"      - {match: {sni: [\"*.shop.example\"]}, pool: web}\n" +
		"      - {pool: fallback}\npools:\n" +
		poolYAML("api", "round_robin", "", api.addr()) + poolYAML("web", "round_robin", "", web.addr()) +
		poolYAML("fallback", "round_robin", "", fallback.addr())
	_, addr := startOn(t, e, TLS, yaml)
	tests := []struct {
		serverName string // what the client asks for and verifies the backend's certificate against
		want       string
	}{
		{"api.example.com", "api"},
		{"API.Example.com", "api"},
		{"www.shop.example", "web"},
		{"fallback.example", "fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.serverName, func(t *testing.T) {
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
				&tls.Config{ServerName: tt.serverName, RootCAs: ca.pool})
			if err != nil {
				t.Fatalf("handshake through the proxy: %v", err)
			}
			defer c.Close()
			got, err := io.ReadAll(c)
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTLSNoSNIGoesToDefaultRoute(t *testing.T) {
	eachEngine(t, testTLSNoSNIGoesToDefaultRoute)
}

func testTLSNoSNIGoesToDefaultRoute(t *testing.T, e engine) {
	ca := newCA(t)
	api := tlsBackend(t, "api", ca.leaf(t, "api.example.com"))
	fallback := tlsBackend(t, "fallback", ca.leaf(t, "127.0.0.1"))
	yaml := "listeners:\n  - name: front\n    protocol: tls\n    listen: 127.0.0.1:0\n    routes:\n" +
		"      - {match: {sni: [api.example.com]}, pool: api}\n      - {pool: fallback}\npools:\n" +
		poolYAML("api", "round_robin", "", api.addr()) + poolYAML("fallback", "round_robin", "", fallback.addr())
	_, addr := startOn(t, e, TLS, yaml)
	// An IP address as ServerName sends no SNI; skip verification since the leaf has no IP SAN.
	c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "127.0.0.1", InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, _ := io.ReadAll(c); string(got) != "fallback" {
		t.Fatalf("got %q, want fallback", got)
	}
}

func TestTLSBadClientHelloIsClosedAndCounted(t *testing.T) {
	eachEngine(t, testTLSBadClientHelloIsClosedAndCounted)
}

func testTLSBadClientHelloIsClosedAndCounted(t *testing.T, e engine) {
	b := startBackend(t, "b", namedEcho)
	yaml := "listeners:\n  - name: front\n    protocol: tls\n    listen: 127.0.0.1:0\n    client_hello_timeout: 300ms\n" +
		"    routes:\n      - pool: p\npools:\n" + poolYAML("p", "round_robin", "", b.addr())
	s, addr := startOn(t, e, TLS, yaml)
	tests := []struct {
		name string
		send []byte
	}{
		{"plain HTTP", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"oversized hello", []byte{22, 3, 1, 0x40, 0, 1, 0x10, 0, 0}},
		{"truncated then silent", []byte{22, 3, 1, 0, 200, 1, 0, 0, 196}},
		{"nothing at all", nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(tt.send)
			if err := readsEOF(c, 3*time.Second); err != nil {
				t.Fatalf("connection: %v, want closed", err)
			}
			if got := s.Stats().HelloErrors; got != uint64(i+1) {
				t.Fatalf("HelloErrors = %d, want %d", got, i+1)
			}
		})
	}
	if n := b.conns.Load(); n != 0 {
		t.Errorf("backend saw %d connections, want 0", n)
	}
}

// choppedConn writes in pieces of 7 bytes, a millisecond apart, so a proxy sees the PROXY
// header and the ClientHello arrive over many reads.
type choppedConn struct{ net.Conn }

func (c choppedConn) Write(b []byte) (int, error) {
	for i := 0; i < len(b); i += 7 {
		if _, err := c.Conn.Write(b[i:min(i+7, len(b))]); err != nil {
			return i, err
		}
		time.Sleep(time.Millisecond)
	}
	return len(b), nil
}

func TestTLSAfterProxyHeaderInPieces(t *testing.T) {
	eachEngine(t, testTLSAfterProxyHeaderInPieces)
}

func testTLSAfterProxyHeaderInPieces(t *testing.T, e engine) {
	ca := newCA(t)
	api := tlsBackend(t, "api", ca.leaf(t, "api.example.com"))
	other := tlsBackend(t, "other", ca.leaf(t, "other.example"))
	yaml := "listeners:\n  - name: front\n    protocol: tls\n    listen: 127.0.0.1:0\n" +
		"    proxy_protocol: accept\n    trusted_proxies: [127.0.0.0/8]\n    routes:\n" +
		"      - {match: {sni: [api.example.com]}, pool: api}\n      - {pool: other}\npools:\n" +
		poolYAML("api", "round_robin", "", api.addr()) + poolYAML("other", "round_robin", "", other.addr())
	_, addr := startOn(t, e, TLS, yaml)
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(5 * time.Second))
	c := tls.Client(choppedConn{raw}, &tls.Config{ServerName: "api.example.com", RootCAs: ca.pool})
	if _, err := io.WriteString(choppedConn{raw}, "PROXY TCP4 192.0.2.10 198.51.100.1 40000 443\r\n"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "api" {
		t.Fatalf("got %q, %v; want %q", got, err, "api")
	}
}
