// Package l4 is fulcrum's layer-4 data path: TCP forwarding, TLS passthrough routed by SNI,
// UDP sessions, and PROXY protocol on the client and backend sides. It serves from the same
// runtime snapshots, pools, pickers and health as the HTTP path; only the bytes differ.
//
// # Zero copy
//
// A TCP connection is forwarded between the two raw *net.TCPConn values. Small chunks (a
// read shorter than 2 KiB) are copied with read(2)/write(2), which for a few bytes costs
// the kernel about half of a splice pair; the first read that fills the buffer switches the
// direction to (*net.TCPConn).ReadFrom, which the Go runtime turns into splice(2): bulk
// payload never enters user space. Nothing here wraps a connection — a wrapper (byte
// counter, deadline or limit wrapper) would silently fall back to a 32 KiB user-space copy.
// Consequently:
//   - bytes are counted from the copy's return values when a direction ends;
//   - the idle timeout is enforced by one sweep goroutine per listener: it asks the kernel
//     (TCP_INFO tcpi_last_data_recv on both sockets) how long ago data last arrived on a
//     connection once its idle period has passed, and closes both sockets when neither side
//     has received data for the timeout (see idle.go, idle_linux.go); a connection shorter
//     than the timeout costs it nothing;
//   - the listener's max_connections is an atomic count checked before Accept: at the cap
//     the accept loop stops accepting, so excess connections wait in the kernel's accept
//     backlog (bounded by the listen backlog, net.core.somaxconn) instead of being refused.
//
// Bytes read before forwarding starts — a PROXY header, a ClientHello — are read into a
// pooled buffer with a read deadline, then written to the backend ahead of the spliced rest.
//
// # UDP
//
// A udp listener keeps one session per client address, each with its own connected upstream
// socket to a backend picked once. Datagrams use a single reusable 64 KiB buffer per
// direction reader; replies are read only when the socket is readable, into a pooled buffer,
// so an idle session holds no buffer.
package l4
