package window

import (
	"math/bits"
	"time"
)

// Latency bins are log-linear over microseconds: one bin per microsecond
// below 16µs, then 8 bins per power of two up to 2^32µs (about 71 minutes),
// so a bin is at most 1/8 of its lower bound wide and its midpoint is within
// 1/16 of any value in it. 240 bins of 4 bytes keep a one-second bucket under
// 1 KiB.
const (
	linearBins  = 16
	subBins     = 8
	subBinShift = 3 // log2(subBins)
	firstExp    = 4 // log2(linearBins)
	lastExp     = 31
	// NumBins is the number of latency bins in a Histogram.
	NumBins = linearBins + (lastExp-firstExp+1)*subBins
)

// binOf returns the bin of a latency. Negative latencies count as zero and
// latencies past the last bin fall into it.
func binOf(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	us := uint64(d / time.Microsecond)
	if us < linearBins {
		return int(us)
	}
	e := bits.Len64(us) - 1
	if e > lastExp {
		return NumBins - 1
	}
	sub := int(us>>(e-subBinShift)) & (subBins - 1)
	return linearBins + (e-firstExp)*subBins + sub
}

// binBounds returns the half-open latency range [lo, hi) of bin i.
func binBounds(i int) (lo, hi time.Duration) {
	if i < linearBins {
		return time.Duration(i) * time.Microsecond, time.Duration(i+1) * time.Microsecond
	}
	e := firstExp + (i-linearBins)/subBins
	sub := uint64((i - linearBins) % subBins)
	l := (subBins + sub) << (e - subBinShift)
	h := (subBins + sub + 1) << (e - subBinShift)
	return time.Duration(l) * time.Microsecond, time.Duration(h) * time.Microsecond
}

// Histogram counts latencies per bin.
type Histogram [NumBins]uint64

// Count returns the number of latencies recorded.
func (h *Histogram) Count() uint64 {
	var n uint64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile returns an estimate of the q-quantile (0 < q ≤ 1) of the recorded
// latencies: the midpoint of the bin holding the ⌈q·n⌉-th smallest one. It
// returns 0 when the histogram is empty or q is out of range.
func (h *Histogram) Quantile(q float64) time.Duration {
	if !(q > 0 && q <= 1) {
		return 0
	}
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(q * float64(n))
	if float64(rank) < q*float64(n) {
		rank++
	}
	if rank == 0 {
		rank = 1
	}
	var cum uint64
	for i, c := range h {
		cum += c
		if cum >= rank {
			lo, hi := binBounds(i)
			if i == NumBins-1 {
				return lo // the overflow bin has no meaningful upper bound
			}
			return lo + (hi-lo)/2
		}
	}
	return 0 // unreachable: cum reaches n ≥ rank
}
