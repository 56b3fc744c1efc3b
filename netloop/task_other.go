//go:build !linux

package netloop

import (
	"context"
	"net"
)

// Start reports that c is served by an ordinary goroutine on this system.
func Start(net.Conn, func()) bool { return false }

// Bind does nothing on this system.
func Bind(c, from net.Conn) {}

// Unbind does nothing on this system.
func Unbind(net.Conn) {}

// Detach does nothing on this system.
func Detach(net.Conn) {}

// Context returns context.Background on this system.
func Context(net.Conn) context.Context { return context.Background() }
