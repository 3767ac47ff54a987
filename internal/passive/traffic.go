package passive

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Defaults of passive health, shared by instrument's HealthCheck and the
// traffic signal: below DefaultMinCalls calls in the window nothing is
// judged; above, an error rate of DefaultErrorRateWarn warns and
// DefaultErrorRateFail fails.
const (
	DefaultMinCalls      = 20
	DefaultErrorRateWarn = 0.05
	DefaultErrorRateFail = 0.25
)

// Level is a verdict of Judge.
type Level uint8

// The levels, from best to worst.
const (
	Pass Level = iota
	Warn
	Fail
)

// Judge judges calls (every call but canceled ones) of which failures
// failed over window. Without calls it has no opinion (ok false). Below
// DefaultMinCalls calls one failure says little: a clean window passes,
// failures only warn. The reason is one line for people, e.g.
// "58 % of 57 calls failed over 30 s".
func Judge(calls, failures float64, window time.Duration) (level Level, reason string, ok bool) {
	if calls <= 0 {
		return Pass, "", false
	}
	ratio := failures / calls
	reason = fmt.Sprintf("%s of %.0f calls failed over %s", FormatPercent(ratio), calls, FormatDuration(window))
	if calls < DefaultMinCalls {
		if failures > 0 {
			return Warn, reason + " (too few calls to judge)", true
		}
		return Pass, reason, true
	}
	switch {
	case ratio >= DefaultErrorRateFail:
		return Fail, reason, true
	case ratio >= DefaultErrorRateWarn:
		return Warn, reason, true
	}
	return Pass, reason, true
}

// FormatPercent writes a ratio as a percentage with a unit: "58 %",
// "0.4 %"; NaN is "–".
func FormatPercent(r float64) string {
	if math.IsNaN(r) {
		return "–"
	}
	p := r * 100
	switch {
	case p == 0 || p >= 10:
		return fmt.Sprintf("%.0f %%", p)
	case p >= 1:
		return fmt.Sprintf("%.1f %%", p)
	}
	return fmt.Sprintf("%.2f %%", p)
}

// FormatDuration writes a window without trailing zero units: "30 s",
// "5 min", "1 h".
func FormatDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return strings.TrimSuffix(d.String(), "0s")
}
