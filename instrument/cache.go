package instrument

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
)

// cowMap is a copy-on-write map for the hot path: readers load an immutable
// map through an atomic pointer (no lock, no allocation, no shared writes),
// writers copy it under a mutex. It suits small sets that stop growing
// after warm-up, such as attribute sets per (operation, outcome, status).
type cowMap[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex
}

func (c *cowMap[K, V]) load(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

func (c *cowMap[K, V]) len() int {
	if m := c.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// loadOrStore returns the value for k, storing build() if k is absent.
func (c *cowMap[K, V]) loadOrStore(k K, build func() V) V {
	v, _ := c.loadOrStoreLimit(k, math.MaxInt, build)
	return v
}

// loadOrStoreLimit is loadOrStore that stores only while the map holds
// fewer than limit entries; ok is false when k is absent and the map full.
// build runs under the write lock, at most once per stored key.
func (c *cowMap[K, V]) loadOrStoreLimit(k K, limit int, build func() V) (v V, ok bool) {
	if v, ok := c.load(k); ok {
		return v, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	var n map[K]V
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v, true
		}
		if len(*old) >= limit {
			return v, false
		}
		n = make(map[K]V, len(*old)+1)
		for k2, v2 := range *old {
			n[k2] = v2
		}
	} else {
		n = make(map[K]V, 1)
	}
	v = build()
	n[k] = v
	c.m.Store(&n)
	return v, true
}

// bounded interns up to limit distinct strings; past the limit every new
// string maps to "_OTHER". It keeps values that come from outside (route
// functions, ErrorType methods) from growing the attribute space without
// bound.
type bounded struct {
	limit int
	seen  cowMap[string, string]
	full  atomic.Bool
}

func (b *bounded) get(s string) string {
	if v, ok := b.seen.load(s); ok {
		return v
	}
	if b.full.Load() {
		return errorTypeOther
	}
	// Clone the key: the caller's string may alias a larger buffer.
	v, ok := b.seen.loadOrStoreLimit(s, b.limit, func() string { return strings.Clone(s) })
	if !ok {
		b.full.Store(true)
		return errorTypeOther
	}
	return v
}
