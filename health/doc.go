// Package health owns fulcrum's view of whether a backend should get traffic: active checks
// (TCP connect, HTTP GET) run by a Monitor per pool, and passive outlier detection (an Outlier
// per pool) fed by the data path.
//
// # Active checks
//
// A Monitor runs one goroutine per backend. The first check of each backend happens at a
// random moment within the interval, so that many backends do not get checked at once, and
// then every interval. A backend changes state after Rise consecutive passes (down → up) or
// Fall consecutive failures (up → down).
//
// Initial state: a backend fulcrum has never checked starts up (backend.NewState is healthy),
// so traffic flows at startup, and its first check result is decisive on its own: one failed
// first check marks it down at once without waiting for Fall failures. From then on Rise and
// Fall apply. The "ever checked" mark lives in backend.State, which survives reloads: a Monitor
// recreated for a backend that was already checked does not treat its first result as decisive;
// the backend keeps its current state and follows Rise and Fall from there.
//
// On reload: build the new Monitor over members whose States come from the same
// backend.Registry, Start it, then Stop the old one. The two may overlap briefly; both read
// the current verdict from the shared State, so they do not fight.
//
// The HTTP check is a deliberately small HTTP/1.1 client on net.Conn (this package does not
// import net/http): it sends one GET with Connection: close, reads the status line strictly
// and, only when a body substring is expected, reads at most MaxBodyBytes of the body.
//
// # Passive outlier detection
//
// Outlier.Report is called by the data path after each request or connection. A backend whose
// consecutive failures reach ConsecutiveFailures is ejected for BaseEjection × (times ejected),
// unless that would put more than MaxEjectionPercent of the pool out at once.
package health
