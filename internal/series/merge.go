package series

// Add adds o's observations to h, so that a reader can sum the histograms
// of consecutive windows into a longer interval (the dashboard's history
// builds a minute from the status windows the engine computed) and read
// a quantile of the whole. An empty h takes o's layout. It reports false,
// leaving h unchanged, when the layouts cannot be summed (explicit buckets
// with other bounds, or explicit and exponential).
func (h *Hist) Add(o *Hist) bool {
	if o.Empty() {
		return true
	}
	if h.Empty() {
		h.reset()
		h.Exp = o.Exp
		if !o.Exp {
			h.Bounds = o.Bounds
			h.Counts = append(h.Counts[:0], o.Counts...)
			h.Sum = o.Sum
			return true
		}
	}
	if h.Exp != o.Exp {
		return false
	}
	if !h.Exp {
		if !sameBounds(h.Bounds, o.Bounds) || len(h.Counts) != len(o.Counts) {
			return false
		}
		for i, c := range o.Counts {
			h.Counts[i] += c
		}
		h.Sum += o.Sum
		return true
	}
	h.Sum += o.Sum
	h.Zero += o.Zero
	h.addExp(o.Scale, o.Offset, o.Counts)
	return true
}

// Clear empties h, keeping its buffer.
func (h *Hist) Clear() { h.reset() }
