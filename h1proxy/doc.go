// Package h1proxy is fulcrum's HTTP/1.1 proxy engine: per client connection one sequential
// piece of code (a netloop task, or a goroutine where netloop does not serve) reads pipelined
// requests with package h1's strict parser, routes each one on the snapshot in
// force, picks a backend with the pool's picker, forwards the normalized head and the body on a
// pooled keep-alive backend connection, and streams the response back — retrying on another
// backend when that is safe, reporting every attempt to the pool (outlier detection, EWMA), and
// tunnelling upgraded connections (WebSocket) after a 101.
//
// The hot path takes no lock and, after warm-up, allocates nothing per request: the request
// head is parsed in place, routed through a view of the parsed bytes, and re-emitted into the
// backend connection's write buffer; response bytes are copied once, into the client's output
// buffer, and written with one write per response when they fit. A connection between requests
// holds no buffer: it waits for readability with the raw socket and takes its buffers from a
// sync.Pool only when bytes arrive, so 10k idle keep-alive clients cost little memory.
//
// On Linux, TCP listeners' connections and the backend connections are netloop Conns: a read
// is tried only once the socket's readiness says bytes arrived, and each client connection's
// code runs as a netloop task that the event loop resumes inline, so a busy server runs like an
// event loop (two reads, two writes and a share of one epoll_wait per proxied request) with
// the code of a goroutine per connection. A backend connection taken from the pool is bound to
// the task for the exchange (netloop.Bind). Tunnels and h2c hand-overs detach the task first.
// Elsewhere, sockets are read and written through h1.SocketIO (non-blocking calls that skip
// the runtime's syscall bookkeeping) on the runtime's netpoller, and before reading a peer's
// answer the goroutine lets the other runnable connections go first. bench/H1-FIGURES.md has
// the measurements.
//
// It serves cleartext HTTP/1.1 listeners and the route actions split, respond, redirect,
// rewrite and request/response header edits, with package l7's results (l7's
// TestRoutesAndActions and TestAnswersAlikeOnBothEngines run on both engines). An action costs
// allocations only on the requests whose route uses it: header edits and respond none, rewrite
// and redirect a few (the target is read with net/url, as l7 does). Mirror, cookie affinity, TLS
// or HTTP/2 backends, and header edits of fields h1 writes itself (framing, hop-by-hop, Host,
// Via, X-Forwarded-*) or with control characters in a value are served by package l7;
// Unsupported says which of them a listener uses.
package h1proxy
