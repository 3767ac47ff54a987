package backoff

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestCeilingGrowsAndCaps(t *testing.T) {
	p := Policy{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2}
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	for n, w := range want {
		if got := p.Ceiling(n); got != w*time.Second {
			t.Errorf("Ceiling(%d) = %v, want %v", n, got, w*time.Second)
		}
	}
}

func TestDelayWithinJitterBounds(t *testing.T) {
	p := Policy{Initial: time.Second, Max: time.Minute}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[time.Duration]bool{}
	for n := range 6 {
		c := p.Ceiling(n)
		for range 50 {
			d := p.Delay(n, r)
			if d < c/2 || d > c {
				t.Fatalf("Delay(%d) = %v outside [%v, %v]", n, d, c/2, c)
			}
			seen[d] = true
		}
	}
	if len(seen) < 10 {
		t.Fatalf("jitter produced only %d distinct delays", len(seen))
	}
}

func TestZeroPolicyUsesDefaults(t *testing.T) {
	if got := (Policy{}).Ceiling(0); got != Default.Initial {
		t.Fatalf("Ceiling(0) = %v, want %v", got, Default.Initial)
	}
}
