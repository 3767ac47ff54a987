package alerting

import (
	"math"
	"time"
)

// BurnRate is the speed at which an error ratio spends the error budget of
// objective: 1 spends exactly the budget over the SLO period, 14.4 spends
// a 30-day budget in 50 hours.
func BurnRate(errorRatio, objective float64) float64 {
	budget := 1 - objective
	if budget <= 0 {
		return math.Inf(1)
	}
	return errorRatio / budget
}

// BudgetConsumed is the share of the period's error budget spent by burning
// at rate for window.
func BudgetConsumed(rate float64, window, period time.Duration) float64 {
	if period <= 0 {
		return math.Inf(1)
	}
	return rate * float64(window) / float64(period)
}

// TimeToExhaustion is how long a full budget lasts at rate.
func TimeToExhaustion(rate float64, period time.Duration) time.Duration {
	if rate <= 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(float64(period) / rate)
}

// ErrorRatioThreshold is the error ratio at which the burn rate reaches
// factor: 14.4 at 99.9 % is 1.44 %.
func ErrorRatioThreshold(factor, objective float64) float64 { return factor * (1 - objective) }

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
