// Package backoff computes exponential retry delays with full jitter.
//
// It is deliberately a pure function of the attempt number and a random
// source so that callers decide how to wait (a timer, a fake clock in
// tests) and the delays themselves can be asserted.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Policy describes an exponential backoff: the n-th retry (n starting at 0)
// waits a random duration in [d/2, d] where d = min(Initial·Multiplier^n, Max).
// Half jitter keeps a floor so that retries never hammer a receiver that
// just failed, while still spreading replicas apart.
type Policy struct {
	Initial    time.Duration // first delay; default 500ms
	Max        time.Duration // cap on a single delay; default 30s
	Multiplier float64       // growth factor; default 2
}

// Default is the policy used when a caller sets none.
var Default = Policy{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2}

func (p Policy) withDefaults() Policy {
	if p.Initial <= 0 {
		p.Initial = Default.Initial
	}
	if p.Max <= 0 {
		p.Max = Default.Max
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Multiplier < 1 {
		p.Multiplier = Default.Multiplier
	}
	return p
}

// Ceiling returns the un-jittered delay for retry n.
func (p Policy) Ceiling(n int) time.Duration {
	p = p.withDefaults()
	d := float64(p.Initial)
	for i := 0; i < n && d < float64(p.Max); i++ {
		d *= p.Multiplier
	}
	if d > float64(p.Max) {
		d = float64(p.Max)
	}
	return time.Duration(d)
}

// Delay returns the jittered delay for retry n using r, or the global
// source when r is nil.
func (p Policy) Delay(n int, r *rand.Rand) time.Duration {
	c := p.Ceiling(n)
	half := c / 2
	if half <= 0 {
		return c
	}
	var j int64
	if r != nil {
		j = r.Int64N(int64(half) + 1)
	} else {
		j = rand.Int64N(int64(half) + 1)
	}
	return half + time.Duration(j)
}
