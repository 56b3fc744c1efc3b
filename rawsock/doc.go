// Package rawsock owns the system calls fulcrum's event loops (l4/epoll, netloop) and h1's
// socket I/O make on non-blocking sockets. Every call returns at once, so it is made with
// RawSyscall, which skips the runtime's entersyscall/exitsyscall: a loopback connect, send or
// close can take longer than sysmon's 20 µs tick, and the runtime would then hand the
// caller's P to another thread and take it back afterwards (two context switches and a sysmon
// kept awake), which cost more than the call itself. Errors are unix.Errno values.
package rawsock
