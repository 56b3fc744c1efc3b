package upgrade_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/upgrade"
)

// tableflip allows one Upgrader per process, so the tests share it.
func TestUpgrader(t *testing.T) {
	u, err := upgrade.New("", net.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Stop()
	if u.Inherited() {
		t.Errorf("Inherited: got true in a process nobody upgraded, want false")
	}
	t.Run("a closed listener refuses connections though a copy is kept", func(t *testing.T) {
		ln, err := u.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
			t.Fatalf("dial before Close: %v", err)
		} else {
			c.Close()
		}
		ln.Close()
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("dial after Close: got a connection, want refused")
		}
	})
	t.Run("packet sockets are plain UDP sockets", func(t *testing.T) {
		pc, err := u.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if _, ok := pc.(*net.UDPConn); !ok {
			t.Errorf("got %T, want *net.UDPConn (the udp data path needs it)", pc)
		}
	})
	if err := u.Ready(); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if _, err := upgrade.New("", net.ListenConfig{}); err == nil || !strings.Contains(err.Error(), "single") {
		t.Errorf("second New: got %v, want an error (one Upgrader per process)", err)
	}
}
