package window

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestBinBoundsAreContiguous(t *testing.T) {
	var prevHi time.Duration
	for i := range NumBins {
		lo, hi := binBounds(i)
		if lo != prevHi {
			t.Fatalf("bin %d starts at %v, previous ended at %v", i, lo, prevHi)
		}
		if hi <= lo {
			t.Fatalf("bin %d: hi %v <= lo %v", i, hi, lo)
		}
		if got := binOf(lo); got != i {
			t.Fatalf("binOf(%v) = %d, want %d", lo, got, i)
		}
		if got := binOf(hi - time.Nanosecond); got != i {
			t.Fatalf("binOf(%v) = %d, want %d", hi-time.Nanosecond, got, i)
		}
		if i >= linearBins {
			if w := float64(hi - lo); w/float64(lo) > 1.0/subBins+1e-12 {
				t.Fatalf("bin %d [%v, %v) is wider than 1/%d of its lower bound", i, lo, hi, subBins)
			}
		}
		prevHi = hi
	}
}

func FuzzBinOf(f *testing.F) {
	for _, d := range []int64{-1, 0, 999, 1000, 15999, 16000, 123456789, math.MaxInt64} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		i := binOf(d)
		if i < 0 || i >= NumBins {
			t.Fatalf("binOf(%v) = %d out of range", d, i)
		}
		lo, hi := binBounds(i)
		switch {
		case d <= 0:
			if i != 0 {
				t.Fatalf("binOf(%v) = %d, want 0", d, i)
			}
		case i == NumBins-1:
			if d < lo {
				t.Fatalf("overflow bin holds %v below its lower bound %v", d, lo)
			}
		default:
			if d < lo || d >= hi {
				t.Fatalf("%v is not in its bin %d [%v, %v)", d, i, lo, hi)
			}
			if d >= 16*time.Microsecond {
				mid := lo + (hi-lo)/2
				if rel := math.Abs(float64(mid-d)) / float64(d); rel > 1.0/16 {
					t.Fatalf("midpoint %v of %v's bin is off by %.3f", mid, d, rel)
				}
			}
		}
	})
}

func TestQuantileAgainstExact(t *testing.T) {
	// 1..1000 ms, plus a few outliers: quantile estimates must be within
	// the histogram's resolution of the exact order statistic.
	var h Histogram
	var all []time.Duration
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Millisecond
		all = append(all, d)
		h[binOf(d)]++
	}
	for _, d := range []time.Duration{5 * time.Second, 9 * time.Second, 30 * time.Second} {
		all = append(all, d)
		h[binOf(d)]++
	}
	slices.Sort(all)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		rank := int(math.Ceil(q * float64(len(all))))
		exact := all[rank-1]
		got := h.Quantile(q)
		if rel := math.Abs(float64(got-exact)) / float64(exact); rel > 1.0/16 {
			t.Errorf("Quantile(%v) = %v, exact %v (off by %.3f)", q, got, exact, rel)
		}
	}
}

func TestQuantileEdgeCases(t *testing.T) {
	var h Histogram
	tests := []struct {
		name string
		q    float64
	}{
		{"empty", 0.5},
		{"zero q", 0},
		{"negative q", -1},
		{"q above 1", 1.5},
		{"NaN", math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Quantile(tt.q); got != 0 {
				t.Fatalf("Quantile(%v) on empty = %v, want 0", tt.q, got)
			}
		})
	}
	h[binOf(3*time.Microsecond)] = 1
	if got := h.Quantile(0.5); got != 3500*time.Nanosecond {
		t.Fatalf("single 3µs: p50 = %v, want 3.5µs", got)
	}
	if got := h.Quantile(math.NaN()); got != 0 {
		t.Fatalf("Quantile(NaN) = %v, want 0", got)
	}
}
