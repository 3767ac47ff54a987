package series

import "math"

// histogramQuantile interpolates the q-quantile of explicit-bucket counts
// (non-cumulative, len(bounds)+1 of them) as Prometheus'
// histogram_quantile does: linearly inside the bucket holding the rank,
// assuming the first bucket starts at 0, and capping at the last finite
// bound when the rank lands in the +Inf bucket.
func histogramQuantile(q float64, bounds, counts []float64) float64 {
	var total float64
	for _, c := range counts {
		total += c
	}
	if total <= 0 || len(counts) != len(bounds)+1 {
		return math.NaN()
	}
	rank := q * total
	var cum float64
	for i, c := range counts {
		if cum+c >= rank && c > 0 {
			if i == len(bounds) {
				if len(bounds) == 0 {
					return math.NaN()
				}
				return bounds[len(bounds)-1]
			}
			lower := 0.0
			if i > 0 {
				lower = bounds[i-1]
			} else if bounds[0] <= 0 {
				return bounds[0]
			}
			return lower + (bounds[i]-lower)*(rank-cum)/c
		}
		cum += c
	}
	return bounds[len(bounds)-1]
}

// countAtOrBelow estimates how many observations were ≤ le, interpolating
// linearly inside the bucket that contains le.
func countAtOrBelow(le float64, bounds, counts []float64) float64 {
	var cum float64
	lower := 0.0
	for i, b := range bounds {
		if le >= b {
			cum += counts[i]
			lower = b
			continue
		}
		if b > lower {
			cum += counts[i] * (le - lower) / (b - lower)
		}
		return cum
	}
	return cum
}
