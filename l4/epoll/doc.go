// Package epoll is a Linux event-loop data path for tcp and tls listeners (`engine: epoll`): one
// goroutine per listener runs an edge-triggered epoll loop over non-blocking sockets, the
// way HAProxy and NGINX do, instead of two goroutines per connection on the Go runtime's
// netpoller. It owns accepting, reading the prelude (PROXY header, ClientHello), the
// non-blocking backend
// connect (with retries on another member), forwarding both ways with half-close, the idle
// and connect timeouts, and the drain at Shutdown. It serves from the same runtime
// snapshots, pools, pickers and health as package l4; only the mechanics differ.
//
// # Per connection
//
// accept4 (until EAGAIN, at most maxAccept per round), epoll_ctl ADD of the client, socket,
// setsockopt TCP_NODELAY, connect (EINPROGRESS), epoll_ctl ADD of the backend, then per
// direction read(2) into the loop's buffer and write(2) straight on, shutdown(2) of the other
// side's write half at EOF (skipped for the direction that ends second), and two close(2).
// Both sockets are registered once for EPOLLIN|EPOLLOUT|EPOLLRDHUP with EPOLLET, so there is
// never an EPOLL_CTL_MOD; a close removes them. Readiness is remembered per socket and
// cleared only by EAGAIN, or by a short read (a stream socket's short read emptied its
// queue); a short read after EPOLLRDHUP is the end of the stream, which saves the read
// that would return 0. A connect is known to have succeeded from EPOLLOUT without EPOLLERR,
// so SO_ERROR is read only on failure. Accepted sockets inherit TCP_NODELAY from the
// listening socket, set once in Serve.
//
// # Prelude
//
// A client of a listener with `proxy_protocol: accept` must come from trusted_proxies (else
// it is refused at accept) and start with a PROXY v1/v2 header; a client of a tls listener
// must start with a ClientHello, whose server name picks the route (TLS is not terminated).
// Until both are in, the connection reads into its client→backend buffer and reparses it
// after each read; a malformed or oversized (maxPrelude) prelude, an EOF, or no complete
// prelude within client_hello_timeout (a wheel entry) closes it, counted in HelloErrors and
// logged as package l4 does. The real client from the PROXY header is then the one that
// routes, hashes (hash_on: source_ip), is logged and is sent on with send_proxy_protocol;
// the bytes after the header reach the backend first.
//
// # Bulk
//
// The first read that fills the loop's 16 KiB buffer switches that direction to splice(2)
// through a pipe taken from the loop's pool (1 MiB, like the Go runtime's), so bulk payload
// never enters user space. A pipe that is empty when its connection closes goes back to the
// pool.
//
// # The Go runtime
//
// The loop never blocks in a system call. epoll_wait is called with a zero timeout; with
// nothing ready the goroutine parks on the runtime's netpoller, which watches the epoll
// descriptor itself (an *os.File), with the next timer tick as read deadline. Every other
// call is on a non-blocking socket and made with RawSyscall (package rawsock). A thread locked
// to the loop and blocked in epoll_wait was tried first: each wait or slow loopback call
// longer than sysmon's 20 µs tick made the runtime hand the P to another thread and back,
// 2.2–2.7 context switches per short connection against HAProxy's 0.5, and no CPU gain
// over the netpoll engine.
//
// # Timeouts
//
// Prelude, connect and idle timeouts live in a coarse timer wheel (tick: a quarter of the
// shorter of the idle and client_hello timeouts, 10 ms to 250 ms) that the loop advances after each batch of events; the park's
// deadline is the next tick, or none when no connection is open. Activity only stamps
// the connection; an idle entry that comes due is rescheduled if the connection moved.
//
// # Scope
//
// tcp and tls listeners whose pools' backends are IP:port addresses (no name is resolved
// inside the loop); `proxy_protocol: accept` and `send_proxy_protocol` are served. See
// Unsupported. On other systems Supported is false and New's Serve fails.
package epoll
