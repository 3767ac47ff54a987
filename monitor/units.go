package monitor

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/passive"
)

// valueText writes an alert's value with its unit, from what its rule
// measures: "58 %" for a ratio, "1.51 s" for a latency quantile, "burn
// rate 14.4×" for an SLO, "45 s" for how long a check has been failing.
func (a *alertingState) valueText(al alerting.Alert) string {
	return formatRuleValue(a.rules[al.Rule], al.Value)
}

func formatRuleValue(r alerting.Rule, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	switch c := r.Condition.(type) {
	case *alerting.Ratio:
		return passive.FormatPercent(v)
	case *alerting.Quantile:
		return formatMetricValue(c.Histogram.Metric, v)
	case *alerting.SLO:
		return "burn rate " + strconv.FormatFloat(v, 'g', 3, 64) + "×"
	case *alerting.Absence:
		return fmt.Sprintf("%.0f successes", v)
	case *alerting.CheckState: // how long the check has been in the state
		return passive.FormatDuration(time.Duration(v * float64(time.Second)).Round(time.Second))
	case *alerting.Threshold:
		if c.Of != nil {
			return passive.FormatPercent(v)
		}
		return formatMetricValue(c.Metric.Metric, v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// metricBreakerState is failover's breaker gauge: 0 closed, 1 half-open,
// 2 open. A rule over it (min or max of the gauge) has one of these codes
// as its value, which the on-call reads as a word.
const metricBreakerState = "igmon.failover.breaker.state"

// formatMetricValue uses the unit the OpenTelemetry naming conventions
// imply: durations in seconds, utilizations as ratios; a breaker's state
// in words.
func formatMetricValue(metric string, v float64) string {
	switch {
	case metric == metricBreakerState && v == math.Trunc(v) && v >= 0 && v <= 2:
		return [...]string{"closed", "half-open", "open"}[int(v)]
	case strings.HasSuffix(metric, ".duration"), strings.HasSuffix(metric, ".time"), strings.HasSuffix(metric, ".latency"):
		return formatSeconds(v)
	case strings.HasSuffix(metric, ".utilization"):
		return passive.FormatPercent(v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// formatSeconds writes seconds as the dashboard writes a latency, so that
// an alert's value and a card's p95 read the same: "1.51 s", "850 ms",
// "2.5 ms", "12 µs".
func formatSeconds(v float64) string {
	abs := math.Abs(v)
	switch {
	case abs >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + " s"
	case abs >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64) + " s"
	case abs >= 0.01:
		return strconv.FormatFloat(v*1e3, 'f', 0, 64) + " ms"
	case abs >= 0.001:
		return strconv.FormatFloat(v*1e3, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(v*1e6, 'f', 0, 64) + " µs"
}
