package l7_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 5: `curl --http2` over TLS and `curl --http2-prior-knowledge` in cleartext work.
// curl is installed by .ci/run.
func TestCurlHTTP2(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed (.ci/run installs it)")
	}
	yaml, dir, _, app := httpsFixture(t, false)
	yaml = strings.Replace(yaml, "pools:", `  - {name: web, listen: 127.0.0.1:0, routes: [{pool: app}]}
pools:`, 1)
	srv := startFulcrum(t, yaml, app)
	tlsAddr, plainAddr := srv.Addr("secure").String(), srv.Addr("web").String()
	_, port, _ := strings.Cut(tlsAddr, ":")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{name: "TLS with ALPN h2", args: []string{"--http2", "--cacert", filepath.Join(dir, "ca.pem"),
			"--resolve", "a.test:" + port + ":127.0.0.1", "https://a.test:" + port + "/"}},
		{name: "cleartext prior knowledge", args: []string{"--http2-prior-knowledge", "http://" + plainAddr + "/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-sS", "--noproxy", "*", "-w", " %{http_version} %{http_code}"}, tc.args...)
			out, err := exec.Command(curl, args...).CombinedOutput()
			if err != nil || string(out) != "app 2 200" {
				t.Errorf("curl %s: got %q (%v), want \"app 2 200\"", strings.Join(tc.args, " "), out, err)
			}
		})
	}
}
