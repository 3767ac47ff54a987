package series

import "math"

// Hist is a windowed histogram of one group, in one of two layouts.
//
// Explicit buckets (Exp false): Bounds are the upper bounds and Counts
// the (non-cumulative) count of each bucket, len(Bounds)+1 of them.
//
// Base-2 exponential buckets (Exp true), as OpenTelemetry's exponential
// histogram defines them: Counts[i] counts the observations in
// (base^(Offset+i), base^(Offset+i+1)] with base = 2^(2^-Scale), and Zero
// those at 0. Bounds is nil. Negative observations are counted in Zero:
// the histograms read here are latencies, and a quantile that would land
// below 0 reads 0.
//
// Sum is the sum of the observations, in both layouts (0 when the source
// does not record it).
type Hist struct {
	Bounds []float64
	Counts []float64
	Sum    float64

	Exp    bool
	Scale  int32
	Offset int64
	Zero   float64
}

func (h *Hist) reset() {
	h.Bounds = nil
	h.Counts = h.Counts[:0]
	h.Sum = 0
	h.Exp, h.Scale, h.Offset, h.Zero = false, 0, 0, 0
}

// Empty reports whether the group has no histogram member.
func (h *Hist) Empty() bool { return h.Bounds == nil && !h.Exp }

// Total is the number of observations.
func (h *Hist) Total() float64 {
	t := h.Zero
	for _, c := range h.Counts {
		t += c
	}
	return t
}

// Quantile estimates the q-quantile (0 < q ≤ 1), NaN without observations.
func (h *Hist) Quantile(q float64) float64 {
	if h.Exp {
		return expQuantile(q, h.Scale, h.Offset, h.Zero, h.Sum, h.Counts)
	}
	return histogramQuantile(q, h.Bounds, h.Counts)
}

// CountAtOrBelow estimates how many observations were ≤ le.
func (h *Hist) CountAtOrBelow(le float64) float64 {
	if h.Exp {
		return expCountAtOrBelow(le, h.Scale, h.Offset, h.Zero, h.Counts)
	}
	return countAtOrBelow(le, h.Bounds, h.Counts)
}

// expMaxGroupBuckets bounds a group's summed exponential histogram: members
// whose ranges lie further apart are merged down a scale until they fit
// (40 doublings at scale 4).
const expMaxGroupBuckets = 4 * expMaxBuckets

// addExp adds counts, the buckets from index base on at scale, to an
// exponential h, merging down to the lower of the two scales and widening
// h's range as needed. Zero buckets at either end are skipped, so that h
// spans only the buckets a window actually filled.
func (h *Hist) addExp(scale int32, base int64, counts []float64) {
	lo, hi := 0, len(counts)-1
	for lo <= hi && counts[lo] == 0 {
		lo++
	}
	for hi >= lo && counts[hi] == 0 {
		hi--
	}
	if lo > hi {
		return
	}
	if len(h.Counts) == 0 {
		h.Scale = scale
	} else if scale < h.Scale {
		h.downscale(h.Scale - scale)
	}
	var d uint
	var first, last int64
	for {
		d = uint(scale - h.Scale)
		first, last = (base+int64(lo))>>d, (base+int64(hi))>>d
		span := last - first
		if n := int64(len(h.Counts)); n > 0 {
			span = max(last, h.Offset+n-1) - min(first, h.Offset)
		}
		if span < expMaxGroupBuckets {
			break
		}
		h.downscale(1)
	}
	h.cover(first, last)
	acc := h.Counts
	if d == 0 {
		for i, x := range counts[lo : hi+1] {
			acc[first-h.Offset+int64(i)] += x
		}
		return
	}
	for i := lo; i <= hi; i++ {
		if x := counts[i]; x != 0 {
			acc[((base+int64(i))>>d)-h.Offset] += x
		}
	}
}

// cover widens h's buckets to hold indexes first..last.
func (h *Hist) cover(first, last int64) {
	if len(h.Counts) == 0 {
		n := int(last - first + 1)
		h.Offset = first
		if cap(h.Counts) < n {
			h.Counts = make([]float64, n)
		}
		h.Counts = h.Counts[:n]
		clear(h.Counts)
		return
	}
	end := h.Offset + int64(len(h.Counts)) // exclusive
	if first < h.Offset {
		shift := int(h.Offset - first)
		n := len(h.Counts)
		h.Counts = growTo(h.Counts, n+shift)
		copy(h.Counts[shift:], h.Counts[:n])
		clear(h.Counts[:shift])
		h.Offset = first
	}
	if last >= end {
		n := len(h.Counts)
		h.Counts = growTo(h.Counts, n+int(last-end+1))
		clear(h.Counts[n:])
	}
}

// growTo extends s to n elements, keeping its contents.
func growTo(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	ns := make([]float64, n, max(n, 2*cap(s)))
	copy(ns, s)
	return ns
}

// downscale merges h's buckets down by d scales (2^d buckets into one).
func (h *Hist) downscale(d int32) {
	if d <= 0 {
		return
	}
	h.Scale -= d
	if len(h.Counts) == 0 {
		return
	}
	first := h.Offset >> uint(d)
	for i, x := range h.Counts {
		// The target index never exceeds i: every earlier position was
		// read before it is written.
		j := ((h.Offset + int64(i)) >> uint(d)) - first
		h.Counts[i] = 0
		h.Counts[j] += x
	}
	last := ((h.Offset + int64(len(h.Counts)) - 1) >> uint(d)) - first
	h.Counts = h.Counts[:last+1]
	h.Offset = first
}

// expBound is the lower bound of exponential bucket index at scale,
// base^index with base = 2^(2^-scale).
func expBound(scale int32, index float64) float64 {
	return math.Exp2(math.Ldexp(index, -int(scale)))
}
