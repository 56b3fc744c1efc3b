// Package balance holds the pickers: pure choices of one member from a pool's immutable member
// slice, given a request key. Pickers read live load from the members' atomic state and never
// block; a picker is built once per snapshot and is safe for concurrent use.
package balance

// Request is what a picker knows about one pick.
type Request struct {
	// Key is a 64-bit hash of the request's affinity key (hash algorithm); HasKey says it is set.
	// A request without a key is balanced round robin.
	Key    uint64
	HasKey bool
	// Tried lists member indices already used for this request; they are never picked again.
	Tried []int
	// Now is the current time in unix nanos, used for ejection checks.
	Now int64
	// IgnoreHealth picks among members an operator has not stopped, healthy or not
	// (panic mode, used when no member is available).
	IgnoreHealth bool
}

// Picker chooses a member for a request. It returns an index into the member slice it was
// built with, or -1 when no member is eligible.
type Picker interface {
	Pick(r *Request) int
}
