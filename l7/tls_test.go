package l7_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fulcrum test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a certificate for names (DNS names or IPs) and its key into dir as
// NAME.crt / NAME.key, with serial as its serial number, and returns the two paths.
func (ca *testCA) issue(t *testing.T, dir, file string, serial int64, client bool, names ...string) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certPath, keyPath := filepath.Join(dir, file+".crt"), filepath.Join(dir, file+".key")
	writeFile(t, certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return certPath, keyPath
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// httpsFixture starts an https listener with a default certificate (a.test), a wildcard
// (*.b.test) and, when mtls is set, client verification.
func httpsFixture(t *testing.T, mtls bool) (yaml, dir string, ca *testCA, app *backend) {
	ca, dir = newCA(t), t.TempDir()
	ca.issue(t, dir, "a", 10, false, "a.test")
	ca.issue(t, dir, "b", 20, false, "*.b.test")
	writeFile(t, filepath.Join(dir, "ca.pem"), ca.pem)
	app = startBackend(t, "app")
	clientCA := ""
	if mtls {
		clientCA = "\n      client_ca: " + filepath.Join(dir, "ca.pem")
	}
	yaml = strings.ReplaceAll(`
listeners:
  - name: secure
    protocol: https
    listen: 127.0.0.1:0
    tls:
      certificates:
        - {cert: DIR/a.crt, key: DIR/a.key}
        - {cert: DIR/b.crt, key: DIR/b.key}`+clientCA+`
    routes: [{pool: app}]
pools:
  - {name: app, backends: [{address: "{{app}}"}]}
`, "DIR", dir)
	return yaml, dir, ca, app
}

// tlsClient dials addr for any URL host and verifies serverName with ca.
func tlsClient(ca *testCA, serverName, addr string, h2 bool, certs ...tls.Certificate) *http.Client {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool(), ServerName: serverName, Certificates: certs},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		ForceAttemptHTTP2: h2,
	}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestHTTPS(t *testing.T) {
	yaml, dir, ca, app := httpsFixture(t, false)
	srv := startFulcrum(t, yaml, app)
	addr := srv.Addr("secure").String()
	for _, tc := range []struct {
		name, serverName string
		h2               bool
		wantProto        string
		wantSerial       int64
	}{
		{"h2 by ALPN, default cert", "a.test", true, "HTTP/2.0", 10},
		{"http/1.1 by ALPN", "a.test", false, "HTTP/1.1", 10},
		{"wildcard by SNI", "x.b.test", true, "HTTP/2.0", 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tlsClient(ca, tc.serverName, addr, tc.h2), newRequest(t, "GET", "https://"+tc.serverName+"/"))
			if resp.Proto != tc.wantProto || body != "app" {
				t.Errorf("got %s %q, want %s \"app\"", resp.Proto, body, tc.wantProto)
			}
			if got := resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got != tc.wantSerial {
				t.Errorf("certificate serial: got %d, want %d", got, tc.wantSerial)
			}
		})
	}
	t.Run("old TLS versions are refused", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool(), ServerName: "a.test", MaxVersion: tls.VersionTLS11})
		if err == nil {
			conn.Close()
			t.Errorf("TLS 1.1 handshake succeeded, want refused")
		}
	})
	t.Run("certificates reload without a new socket", func(t *testing.T) {
		ca.issue(t, dir, "a", 11, false, "a.test")
		reapply(t, srv, strings.ReplaceAll(yaml, "{{app}}", app.addr))
		if got := srv.Addr("secure").String(); got != addr {
			t.Fatalf("listener moved from %s to %s on reload, want the same socket", addr, got)
		}
		resp, _ := do(t, tlsClient(ca, "a.test", addr, true), newRequest(t, "GET", "https://a.test/"))
		if got := resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got != 11 {
			t.Errorf("serial after reload: got %d, want 11", got)
		}
	})
}

func TestMutualTLS(t *testing.T) {
	yaml, dir, ca, app := httpsFixture(t, true)
	srv := startFulcrum(t, yaml, app)
	addr := srv.Addr("secure").String()
	certFile, keyFile := ca.issue(t, dir, "client", 30, true, "client.test")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tlsClient(ca, "a.test", addr, true).Get("https://a.test/"); err == nil {
		t.Errorf("request without a client certificate succeeded, want refused")
	}
	resp, body := do(t, tlsClient(ca, "a.test", addr, true, cert), newRequest(t, "GET", "https://a.test/"))
	if resp.StatusCode != 200 || body != "app" {
		t.Errorf("with a client certificate: got %d %q, want 200 \"app\"", resp.StatusCode, body)
	}
}
