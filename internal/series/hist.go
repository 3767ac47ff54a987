package series

// Hist is a windowed histogram of one group: explicit bucket bounds and
// the (non-cumulative) count of each bucket, len(Bounds)+1 of them.
type Hist struct {
	Bounds []float64
	Counts []float64
}

func (h *Hist) reset() {
	h.Bounds = nil
	h.Counts = h.Counts[:0]
}

// Empty reports whether the group has no histogram member.
func (h *Hist) Empty() bool { return h.Bounds == nil }

// Total is the number of observations.
func (h *Hist) Total() float64 {
	var t float64
	for _, c := range h.Counts {
		t += c
	}
	return t
}

// Quantile estimates the q-quantile (0 < q ≤ 1), NaN without observations.
func (h *Hist) Quantile(q float64) float64 { return histogramQuantile(q, h.Bounds, h.Counts) }

// CountAtOrBelow estimates how many observations were ≤ le.
func (h *Hist) CountAtOrBelow(le float64) float64 { return countAtOrBelow(le, h.Bounds, h.Counts) }
