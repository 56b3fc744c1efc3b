//go:build !unix

package h1

import "net"

// unusable cannot look at the socket without blocking here; a closed connection is found by
// the first request on it, which is why Get reports reuse.
func unusable(net.Conn) bool { return false }
