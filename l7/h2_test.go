package l7_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestH2CPriorKnowledge speaks HTTP/2 without TLS to a plain http listener.
func TestH2CPriorKnowledge(t *testing.T) {
	app := startBackend(t, "app")
	srv := startFulcrum(t, `
listeners:
  - {name: web, listen: 127.0.0.1:0, routes: [{pool: app}]}
pools:
  - {name: app, backends: [{address: "{{app}}"}]}
`, app)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	resp, body := do(t, &http.Client{Transport: tr, Timeout: 5 * time.Second}, newRequest(t, "GET", baseURL(srv, "web")+"/"))
	if resp.Proto != "HTTP/2.0" || body != "app" {
		t.Errorf("got %s %q, want HTTP/2.0 \"app\"", resp.Proto, body)
	}
	resp, _ = do(t, client(), newRequest(t, "GET", baseURL(srv, "web")+"/"))
	if resp.Proto != "HTTP/1.1" {
		t.Errorf("HTTP/1.1 client on the same port: got %s, want HTTP/1.1", resp.Proto)
	}
}

// startProtoBackend starts a backend that serves only the given protocols, over TLS with a
// certificate for 127.0.0.1 from ca when ca is not nil.
func startProtoBackend(t *testing.T, name string, ca *testCA, dir string, set func(*http.Protocols)) *backend {
	t.Helper()
	b := &backend{name: name}
	b.srv = &http.Server{Handler: b, Protocols: new(http.Protocols)}
	set(b.srv.Protocols)
	ln := listenLoopback(t)
	if ca != nil {
		certFile, keyFile := ca.issue(t, dir, name, 40, false, "127.0.0.1")
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		b.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
		b.addr = ln.Addr().String()
		go b.srv.ServeTLS(ln, "", "")
		t.Cleanup(func() { b.srv.Close() })
		return b
	}
	b.serve(t, ln)
	return b
}

// TestBackendProtocols reaches backends over h2c, h2 (TLS) and HTTP/1.1 over TLS.
func TestBackendProtocols(t *testing.T) {
	ca, dir := newCA(t), t.TempDir()
	writeFile(t, filepath.Join(dir, "ca.pem"), ca.pem)
	h2c := startProtoBackend(t, "h2c", nil, dir, func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) })
	h2 := startProtoBackend(t, "h2", ca, dir, func(p *http.Protocols) { p.SetHTTP2(true) })
	h1s := startProtoBackend(t, "h1s", ca, dir, func(p *http.Protocols) { p.SetHTTP1(true) })
	srv := startFulcrum(t, fmt.Sprintf(`
listeners:
  - name: web
    listen: 127.0.0.1:0
    routes:
      - {match: {path: /h2c}, pool: h2c}
      - {match: {path: /h2}, pool: h2}
      - {match: {path: /h1s}, pool: h1s}
pools:
  - {name: h2c, protocol: h2c, backends: [{address: "{{h2c}}"}]}
  - {name: h2, protocol: h2, tls: {ca: %[1]s}, backends: [{address: "{{h2}}"}]}
  - {name: h1s, tls: {ca: %[1]s, server_name: 127.0.0.1}, backends: [{address: "{{h1s}}"}]}
`, filepath.Join(dir, "ca.pem")), h2c, h2, h1s)
	for _, tc := range []struct{ path, wantBody, wantProto string }{
		{"/h2c", "h2c", "HTTP/2.0"},
		{"/h2", "h2", "HTTP/2.0"},
		{"/h1s", "h1s", "HTTP/1.1"},
	} {
		resp, body := do(t, client(), newRequest(t, "GET", baseURL(srv, "web")+tc.path))
		if body != tc.wantBody || resp.Header.Get("Echo-Proto") != tc.wantProto {
			t.Errorf("%s: got %q over %s, want %q over %s", tc.path, body, resp.Header.Get("Echo-Proto"), tc.wantBody, tc.wantProto)
		}
	}
}

// TestH2Spec runs h2spec against an https listener when h2spec is installed, and reports
// the score.
func TestH2Spec(t *testing.T) {
	t.Parallel() // long: runs beside the rest of the package
	bin := findH2Spec()
	if bin == "" {
		t.Skip("h2spec not found in PATH or $(go env GOPATH)/bin; go install github.com/summerwind/h2spec/cmd/h2spec@latest")
	}
	yaml, _, _, app := httpsFixture(t, false)
	srv := startFulcrum(t, yaml, app)
	_, port, _ := net.SplitHostPort(srv.Addr("secure").String())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	report := filepath.Join(t.TempDir(), "h2spec.xml")
	out, err := execCommand(ctx, bin, "-h", "127.0.0.1", "-p", port, "-t", "-k", "-o", "2", "-j", report)
	passed, failed, skipped := h2specScore(out)
	t.Logf("h2spec: %d passed, %d failed, %d skipped\n%s", passed, failed, skipped, failures(out))
	if passed == 0 {
		t.Fatalf("h2spec ran no test: %v\n%s", err, out)
	}
	_ = os.Remove(report)
}
