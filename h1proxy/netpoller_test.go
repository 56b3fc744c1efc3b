package h1proxy

import (
	"net"
	"testing"

	"github.com/fulcrum-lb/fulcrum/netloop"
)

// TestOnRuntimeNetpollerToo runs the engine's main tests again with sockets on the runtime's
// netpoller, the path taken where netloop cannot serve.
func TestOnRuntimeNetpollerToo(t *testing.T) {
	onRuntimeNetpoller = true
	t.Cleanup(func() { onRuntimeNetpoller = false })
	for name, test := range map[string]func(*testing.T){
		"pipelined":      TestPipelinedRequestsAreAnsweredInOrder,
		"bodies":         TestBodiesAreFramedBothWays,
		"malformed":      TestMalformedRequestsAreRefusedAndClosed,
		"no backend":     TestNoBackendIs503AndKeepsTheConnection,
		"expect":         TestExpectContinueGetsOneInterimResponse,
		"upgrade":        TestUpgradeBecomesATunnelCountedInFlight,
		"idle buffers":   TestIdleConnectionsHoldNoBuffers,
		"shutdown":       TestShutdownClosesIdleAndFinishesInFlight,
		"large":          TestLargeResponsesArriveIntact,
		"header edits":   TestHeaderEdits,
		"answers":        TestAnswers,
		"skipped bodies": TestAnsweredBodiesAreSkipped,
		"uploads":        TestLargeUploadsReachASlowBackend,
		"timeouts":       TestClientTimeoutsCloseStalledConnections,
	} {
		t.Run(name, test)
	}
}

// TestServesOnNetloop checks that a TCP listener's connections, and the backend connections,
// really are netloop's where it is supported.
func TestServesOnNetloop(t *testing.T) {
	if !netloop.Supported {
		t.Skip("netloop is not supported here")
	}
	s, _ := startProxy(t, oneBackendYAML, "127.0.0.1:1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, ok := s.Listen(ln).(*netloop.Listener); !ok {
		t.Fatalf("Listen kept %T, want a *netloop.Listener", ln)
	}
	if _, ok := s.Listen(limitedForTest{ln}).(*netloop.Listener); ok {
		t.Fatal("Listen unwrapped a listener that has no Unwrap method")
	}
}

type limitedForTest struct{ net.Listener }
