package monitor

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"
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
		return formatPercent(v)
	case *alerting.Quantile:
		return formatMetricValue(c.Histogram.Metric, v)
	case *alerting.SLO:
		return "burn rate " + strconv.FormatFloat(v, 'g', 3, 64) + "×"
	case *alerting.Absence:
		return fmt.Sprintf("%.0f successes", v)
	case *alerting.CheckState:
		return formatSeconds(v)
	case *alerting.Threshold:
		if c.Of != nil {
			return formatPercent(v)
		}
		return formatMetricValue(c.Metric.Metric, v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// formatMetricValue uses the unit the OpenTelemetry naming conventions
// imply: durations in seconds, utilizations as ratios.
func formatMetricValue(metric string, v float64) string {
	switch {
	case strings.HasSuffix(metric, ".duration"), strings.HasSuffix(metric, ".time"), strings.HasSuffix(metric, ".latency"):
		return formatSeconds(v)
	case strings.HasSuffix(metric, ".utilization"):
		return formatPercent(v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// formatSeconds writes seconds with three significant digits in the
// largest unit below the value: "1.51 s", "850 ms", "12.5 µs", "2.5 min".
func formatSeconds(v float64) string {
	d := time.Duration(v * float64(time.Second))
	abs := math.Abs(v)
	switch {
	case abs >= 120:
		return strconv.FormatFloat(v/60, 'g', 3, 64) + " min"
	case abs >= 1 || v == 0:
		return strconv.FormatFloat(v, 'g', 3, 64) + " s"
	case abs >= 1e-3:
		return strconv.FormatFloat(v*1e3, 'g', 3, 64) + " ms"
	case d != 0:
		return strconv.FormatFloat(v*1e6, 'g', 3, 64) + " µs"
	}
	return strconv.FormatFloat(v*1e9, 'g', 3, 64) + " ns"
}
