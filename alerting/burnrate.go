package alerting

import (
	"math"
	"time"
)

// burnRate is the speed at which an error ratio spends the error budget of
// objective: 1 spends exactly the budget over the SLO period, 14.4 spends
// a 30-day budget in 50 hours.
func burnRate(errorRatio, objective float64) float64 {
	budget := 1 - objective
	if budget <= 0 {
		return math.Inf(1)
	}
	return errorRatio / budget
}

// budgetConsumed is the share of the period's error budget spent by burning
// at rate for window.
func budgetConsumed(rate float64, window, period time.Duration) float64 {
	if period <= 0 {
		return math.Inf(1)
	}
	return rate * float64(window) / float64(period)
}

// timeToExhaustion is how long a full budget lasts at rate.
func timeToExhaustion(rate float64, period time.Duration) time.Duration {
	if rate <= 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(float64(period) / rate)
}

// errorRatioThreshold is the error ratio at which the burn rate reaches
// factor: 14.4 at 99.9 % is 1.44 %.
func errorRatioThreshold(factor, objective float64) float64 { return factor * (1 - objective) }
