package health_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	grpchealth "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/fulcrum-lb/fulcrum/health"
)

// TestGRPCCheck probes a real grpc-go health server over loopback.
func TestGRPCCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := grpchealth.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	defer srv.Stop()
	hs.SetServingStatus("app", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("sick", healthpb.HealthCheckResponse_NOT_SERVING)

	for _, tc := range []struct {
		service string
		wantErr string // "" passes
	}{
		{"", ""},
		{"app", ""},
		{"sick", "serving status 2"},
		{"unknown", "grpc-status 5"},
	} {
		t.Run("service="+tc.service, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := (&health.GRPC{Service: tc.service}).Check(ctx, ln.Addr().String())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v, want pass", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	hs.Shutdown() // every service NOT_SERVING
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := (&health.GRPC{}).Check(ctx, ln.Addr().String()); err == nil {
		t.Errorf("after Shutdown: got pass, want NOT_SERVING failure")
	}
}

// TestGRPCCheckNotGRPC fails cleanly against a server that does not speak HTTP/2.
func TestGRPCCheckNotGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := (&health.GRPC{}).Check(ctx, ln.Addr().String()); err == nil {
		t.Errorf("HTTP/1.1 server: got pass, want failure")
	}
}
