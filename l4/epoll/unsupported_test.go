package epoll

import (
	"strings"
	"testing"

	"github.com/fulcrum-lb/fulcrum/config"
)

func TestUnsupportedNamesWhatTheEngineCannotServe(t *testing.T) {
	tests := []struct {
		name, listener, backend, want string
	}{
		{name: "plain tcp", listener: "protocol: tcp", backend: "127.0.0.1:9000", want: ""},
		{name: "PROXY protocol accept", listener: "protocol: tcp, proxy_protocol: accept, trusted_proxies: [10.0.0.0/8]",
			backend: "127.0.0.1:9000", want: ""},
		{name: "tls passthrough", listener: "protocol: tls", backend: "127.0.0.1:9000", want: ""},
		{name: "tls passthrough, backend by name", listener: "protocol: tls", backend: "localhost:9000",
			want: "backend address localhost:9000"},
		{name: "backend by name", listener: "protocol: tcp", backend: "localhost:9000", want: "backend address localhost:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("t.yaml", []byte("listeners:\n  - {name: l, listen: 127.0.0.1:7000, "+tt.listener+
				", routes: [{pool: p}]}\npools:\n  - {name: p, backends: [{address: \""+tt.backend+"\"}]}\n"))
			if err != nil {
				t.Fatal(err)
			}
			got := Unsupported(cfg, cfg.Listeners[0])
			if !Supported {
				got = strings.TrimPrefix(got, "this operating system (epoll is Linux only)")
			}
			if (tt.want == "" && got != "") || !strings.Contains(got, tt.want) {
				t.Fatalf("Unsupported = %q, want %q", got, tt.want)
			}
		})
	}
}
