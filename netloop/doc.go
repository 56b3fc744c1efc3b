// Package netloop is fulcrum's own readiness poller for TCP sockets, for the HTTP/1.1 engine:
// edge-triggered epoll loops (one per P, GOMAXPROCS when first used; new connections go to
// them in turn) watch the sockets that must wait and resume
// what waits on one when it becomes readable or writable. Conn is a net.Conn over such a
// socket; Listener accepts them and Dialer connects them. A Task runs a connection's code as a
// coroutine that the loop resumes inline.
//
// # Why not the runtime's netpoller
//
// The runtime forgets a socket's readiness whenever a read starts, so every read is tried
// first and fails with EAGAIN when no bytes are there, before the goroutine parks. A proxy
// waiting for a keep-alive client's next request or a backend's answer pays that failed read
// on almost every request. A Conn remembers readiness from the loop's events: it is cleared
// just before a read (and set again when the read filled the buffer, as more may be queued),
// so a read is tried only after an event said bytes arrived. Socket calls are raw
// non-blocking system calls, outside the runtime's syscall bookkeeping. A new connection is
// read before it is registered (its request is usually there already) and joins the epoll
// set only when a call must wait, so a short connection may never be registered at all.
//
// # Tasks
//
// A waiting goroutine parks on a channel and the loop wakes it: a channel operation, a park
// and a pass through the scheduler per wait, two waits per proxied request. A Task instead
// yields to whoever resumed it (iter.Pull's coroutine switch), and the loop resumes it right
// where the event is handled, so a busy engine runs every connection's work inline in the
// loop, as an event-driven server does, while its code stays sequential. A task must not block
// on anything else for long; before handing a Conn to other goroutines (a tunnel, the HTTP/2
// server) it detaches and goes on as an ordinary goroutine. Wakes from outside the loop
// (Close, SetDeadline) resume a parked task on a new goroutine, so that the caller's locks
// are not held while it runs; a deadline's timer resumes it on the timer's goroutine.
//
// # The loop
//
// The loop goroutine takes ready events with a zero-timeout epoll_wait; with none it blocks in
// epoll_wait as a system call (the runtime lends the P to other goroutines meanwhile), so a
// wake-up is one return from epoll_wait, not a pass through the runtime's netpoller and
// scheduler. It yields after a batch
// that woke goroutines (not tasks), and every yieldEvery batches. Sockets are registered for
// input, output and peer close, edge-triggered; the event carries the descriptor and a
// generation number, so an event for a descriptor closed and reused meanwhile is ignored.
//
// # Output batches
//
// A small write (up to 4 KiB) made by a task that the loop resumed is copied into the loop's
// output batch and sent when the loop has handled its whole batch of events, in the order the
// writes were made: the answers to a batch's requests reach their readers together, so a client
// or backend that reads with epoll is woken once for several, as with an event-driven server
// that sends what its handlers queued at the end of a poll (on the rig, wrk's and the backends'
// epoll waits per request fell by about a tenth; bench/H1-FIGURES.md). A larger write, a write
// with MSG_MORE, a half-close or a detach sends the batch first. What a socket cannot take at
// the flush is owed: the loop sends it as the socket makes room, and a later write waits for
// it; a Conn closed meanwhile keeps its descriptor for up to 10 s to send it. A failed deferred
// write fails the writer's next write. A Conn's batched bytes are sent before its peer can
// answer them, so it cannot change hands (a backend pool) with bytes in a batch.
//
// # Waiting, deadlines, closing
//
// A waiter announces itself, checks readiness again and parks (or yields); the loop sets
// readiness and then wakes an announced waiter (both are sequentially consistent atomics, so
// one of them sees the other). A task counts as parked only once its resumer has seen it
// yield, so two goroutines never resume it at once. Deadlines are runtime timers touched only
// when a deadline changes. Close marks the Conn closed and wakes its waiters; the descriptor is
// closed when the last call in progress on it returns, so it is never reused under a running
// call.
package netloop
