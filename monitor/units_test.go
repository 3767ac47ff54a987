package monitor

import (
	"math"
	"testing"

	"github.com/jackcode/igmon/alerting"
)

// TestAlertValueReadsAsItsMeasure: an alert's value is written in the unit
// of what its rule measures, as the card beside it writes the same figure.
func TestAlertValueReadsAsItsMeasure(t *testing.T) {
	sel := func(s string) alerting.Selector {
		t.Helper()
		x, err := alerting.ParseSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	breaker := alerting.Rule{Condition: &alerting.Threshold{Metric: sel(metricBreakerState), Aggregation: alerting.AggMin, Op: alerting.AboveOrEqual, Value: 1}}
	for _, tt := range []struct {
		name string
		rule alerting.Rule
		v    float64
		want string
	}{
		{"ratio", alerting.Rule{Condition: &alerting.Ratio{}}, 0.58, "58 %"},
		{"latency quantile", alerting.Rule{Condition: &alerting.Quantile{Histogram: sel("igmon.dependency.duration")}}, 1.514, "1.51 s"},
		{"burn rate", alerting.Rule{Condition: &alerting.SLO{}}, 14.4, "burn rate 14.4×"},
		{"failing check", alerting.Rule{Condition: &alerting.CheckState{}}, 45.2, "45 s"},
		{"utilization", alerting.Rule{Condition: &alerting.Threshold{Metric: sel("system.cpu.utilization")}}, 0.971, "97 %"},
		{"breaker open", breaker, 2, "open"},
		{"breaker half-open", breaker, 1, "half-open"},
		{"breaker closed", breaker, 0, "closed"},
		{"breaker average, not a state", breaker, 1.5, "1.5"},
		{"no value", alerting.Rule{Condition: &alerting.Ratio{}}, math.NaN(), "–"},
	} {
		if got := formatRuleValue(tt.rule, tt.v); got != tt.want {
			t.Errorf("%s: %v reads %q, want %q", tt.name, tt.v, got, tt.want)
		}
	}
}
