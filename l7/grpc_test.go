package l7_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/l7"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpchealth "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// echoService is a gRPC service described by hand (no generated code): unary Say and
// bidirectional streaming Chat, both on wrapperspb.StringValue.
var echoService = grpc.ServiceDesc{
	ServiceName: "fulcrum.test.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Say", Handler: say}},
	Streams:     []grpc.StreamDesc{{StreamName: "Chat", Handler: chat, ServerStreams: true, ClientStreams: true}},
}

// say echoes its input; "fail" answers FailedPrecondition (a status in trailers) and
// "slow" waits for the caller's deadline.
func say(_ any, ctx context.Context, dec func(any) error, intercept grpc.UnaryServerInterceptor) (any, error) {
	in := new(wrapperspb.StringValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	if intercept == nil {
		return sayTo(ctx, in)
	}
	info := &grpc.UnaryServerInfo{FullMethod: "/fulcrum.test.Echo/Say"}
	return intercept(ctx, in, info, func(ctx context.Context, req any) (any, error) {
		return sayTo(ctx, req.(*wrapperspb.StringValue))
	})
}

func sayTo(ctx context.Context, in *wrapperspb.StringValue) (any, error) {
	switch in.Value {
	case "fail":
		return nil, status.Error(codes.FailedPrecondition, "asked to fail")
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return wrapperspb.String("echo:" + in.Value), nil
}

func chat(_ any, stream grpc.ServerStream) error {
	for {
		in := new(wrapperspb.StringValue)
		if err := stream.RecvMsg(in); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := stream.SendMsg(wrapperspb.String("echo:" + in.Value)); err != nil {
			return err
		}
	}
}

func startGRPC(t *testing.T) string {
	addr, _, _ := startGRPCWithHealth(t)
	return addr
}

// startGRPCWithHealth starts the echo service with grpc.health.v1 and a count of unary calls.
func startGRPCWithHealth(t *testing.T) (string, *grpchealth.Server, *atomic.Int64) {
	t.Helper()
	ln := listenLoopback(t)
	calls := new(atomic.Int64)
	count := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		if strings.HasPrefix(info.FullMethod, "/fulcrum.test.Echo/") {
			calls.Add(1)
		}
		return next(ctx, req)
	}
	s := grpc.NewServer(grpc.UnaryInterceptor(count))
	s.RegisterService(&echoService, nil)
	hs := grpchealth.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String(), hs, calls
}

// TestGRPCHealthCheckTakesBackendOut marks one backend NOT_SERVING and expects fulcrum's
// grpc health check to stop sending it calls.
func TestGRPCHealthCheckTakesBackendOut(t *testing.T) {
	good, _, goodCalls := startGRPCWithHealth(t)
	bad, badHealth, badCalls := startGRPCWithHealth(t)
	srv := startFulcrum(t, `
listeners:
  - {name: web, listen: 127.0.0.1:0, routes: [{pool: grpc}]}
pools:
  - name: grpc
    protocol: h2c
    backends: [{address: "`+good+`"}, {address: "`+bad+`"}]
    health_check: {type: grpc, interval: 100ms, timeout: 100ms, fall: 1, rise: 1}
`)
	state, _ := srv.Runtime().Registry().Lookup("grpc", bad)
	badHealth.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	waitUntil(t, "NOT_SERVING backend marked down", func() bool { return !state.Healthy() })
	conn := dialGRPC(t, srv.Addr("web").String())
	before := badCalls.Load()
	for i := range 20 {
		out := new(wrapperspb.StringValue)
		if err := conn.Invoke(context.Background(), "/fulcrum.test.Echo/Say", wrapperspb.String("x"), out); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := badCalls.Load() - before; got != 0 {
		t.Errorf("NOT_SERVING backend got %d calls, want 0", got)
	}
	if goodCalls.Load() < 20 {
		t.Errorf("healthy backend got %d calls, want 20", goodCalls.Load())
	}
	badHealth.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	waitUntil(t, "SERVING backend back up", state.Healthy)
}

func dialGRPC(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestGRPCThroughFulcrum calls unary and bidirectional streaming methods through an h2c
// listener to an h2c pool, with status trailers and deadlines.
func TestGRPCThroughFulcrum(t *testing.T) {
	backendAddr := startGRPC(t)
	srv := startFulcrum(t, `
listeners:
  - {name: web, listen: 127.0.0.1:0, routes: [{pool: grpc}]}
pools:
  - {name: grpc, protocol: h2c, backends: [{address: "`+backendAddr+`"}]}
`)
	conn := dialGRPC(t, srv.Addr("web").String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("unary", func(t *testing.T) {
		out := new(wrapperspb.StringValue)
		if err := conn.Invoke(ctx, "/fulcrum.test.Echo/Say", wrapperspb.String("hi"), out); err != nil || out.Value != "echo:hi" {
			t.Errorf("Say(hi) = %q, %v; want \"echo:hi\", nil", out.Value, err)
		}
	})
	t.Run("status in trailers", func(t *testing.T) {
		err := conn.Invoke(ctx, "/fulcrum.test.Echo/Say", wrapperspb.String("fail"), new(wrapperspb.StringValue))
		if status.Code(err) != codes.FailedPrecondition {
			t.Errorf("Say(fail) error = %v, want code FailedPrecondition", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := conn.Invoke(short, "/fulcrum.test.Echo/Say", wrapperspb.String("slow"), new(wrapperspb.StringValue))
		if status.Code(err) != codes.DeadlineExceeded || time.Since(start) > 3*time.Second {
			t.Errorf("Say(slow) = %v after %v, want DeadlineExceeded soon after 300ms", err, time.Since(start))
		}
	})
	t.Run("bidirectional streaming", func(t *testing.T) {
		stream, err := conn.NewStream(ctx, &echoService.Streams[0], "/fulcrum.test.Echo/Chat")
		if err != nil {
			t.Fatal(err)
		}
		for i, msg := range []string{"one", "two", "three"} {
			if err := stream.SendMsg(wrapperspb.String(msg)); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			got := new(wrapperspb.StringValue)
			if err := stream.RecvMsg(got); err != nil || got.Value != "echo:"+msg {
				t.Fatalf("reply %d = %q, %v; want %q (each reply before the next send)", i, got.Value, err, "echo:"+msg)
			}
		}
		stream.CloseSend()
		if err := stream.RecvMsg(new(wrapperspb.StringValue)); !errors.Is(err, io.EOF) {
			t.Errorf("after CloseSend: got %v, want io.EOF", err)
		}
	})
}

// A gRPC call fulcrum cannot forward gets a gRPC status, not an HTTP error page the client
// cannot read: UNAVAILABLE when no backend answers.
func TestGRPCErrorsAreGRPCStatuses(t *testing.T) {
	dead := listenLoopback(t)
	addr := dead.Addr().String()
	dead.Close()
	srv := startFulcrum(t, `
listeners:
  - {name: web, listen: 127.0.0.1:0, routes: [{pool: grpc}]}
pools:
  - {name: grpc, protocol: h2c, retries: 0, backends: [{address: "`+addr+`"}]}
`)
	conn := dialGRPC(t, srv.Addr("web").String())
	err := conn.Invoke(t.Context(), "/fulcrum.test.Echo/Say", wrapperspb.String("hi"), new(wrapperspb.StringValue))
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "fulcrum") {
		t.Errorf("call to a dead pool: got %v, want code Unavailable from fulcrum", err)
	}
}

func TestParseGRPCTimeout(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"300m", 300 * time.Millisecond, true},
		{"2S", 2 * time.Second, true},
		{"1H", time.Hour, true},
		{"5", 0, false},
		{"x5m", 0, false},
		{"1234567890n", 0, false}, // more than 8 digits
	} {
		got, ok := l7.ParseGRPCTimeout(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseGRPCTimeout(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
