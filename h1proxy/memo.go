package h1proxy

import (
	"sync"
	"sync/atomic"
)

// memoLimit bounds a memo: past it, the next miss starts an empty map, which drops what older
// snapshots' routes and pools left behind.
const memoLimit = 1024

// memo maps keys derived from a snapshot (its routes, pools, members) to what the request
// path needs for them: read without a lock or hashing of strings, written copy-on-write on a
// miss, which happens once per key and snapshot.
type memo[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex // serializes writers
}

func (c *memo[K, V]) get(k K, build func(K) V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	next := make(map[K]V)
	if old != nil && len(*old) < memoLimit {
		for ok, ov := range *old {
			next[ok] = ov
		}
	}
	v := build(k)
	next[k] = v
	c.m.Store(&next)
	return v
}
