// Package netloop is fulcrum's own readiness poller for TCP sockets, for the HTTP/1.1 engine:
// one edge-triggered epoll loop per process watches every socket it owns and wakes the
// goroutine waiting on one when it becomes readable or writable. Conn is a net.Conn over such a
// socket; Listener accepts them and Dialer connects them.
//
// # Why not the runtime's netpoller
//
// The runtime forgets a socket's readiness whenever a read starts, so every read is tried
// first and fails with EAGAIN when no bytes are there, before the goroutine parks. A proxy
// waiting for a keep-alive client's next request or a backend's answer pays that failed read
// on almost every request. A Conn remembers readiness from the loop's events: it is cleared
// just before a read (and set again when the read filled the buffer, as more may be queued),
// so a read is tried only after an event said bytes arrived, and an idle wait is one park.
// Socket calls are raw non-blocking system calls, outside the runtime's syscall bookkeeping.
//
// # The loop
//
// The loop goroutine takes ready events with a zero-timeout epoll_wait; with none it parks on
// the runtime's netpoller, which watches the epoll descriptor itself. After handing out a
// batch it yields, so the goroutines it woke run before it polls again, and a busy process
// takes events in batches. Sockets are registered once, for input, output and peer close,
// edge-triggered; the event carries the descriptor and a generation number, so an event for
// a descriptor closed and reused meanwhile is ignored.
//
// # Waiting, deadlines, closing
//
// A waiter announces itself, checks readiness again and parks on a channel; the loop sets
// readiness and then wakes an announced waiter (both are sequentially consistent atomics, so
// one of them sees the other). Deadlines are runtime timers touched only when a deadline
// changes. Close marks the Conn closed and wakes its waiters; the descriptor is closed when
// the last call in progress on it returns, so it is never reused under a running call.
package netloop
