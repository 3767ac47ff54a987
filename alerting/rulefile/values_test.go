package rulefile

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackcode/igmon/alerting/internal/ruleerr"
)

// The loader refuses YAML's .nan, .inf and negative numbers with the line.
func TestNonsenseValuesRefusedWithTheirLine(t *testing.T) {
	for _, c := range []struct{ kind, field, value string }{
		{"threshold: {metric: m, value: %s}", "threshold.value", ".nan"},
		{"threshold: {metric: m, value: %s}", "threshold.value", ".inf"},
		{"threshold: {metric: m, value: %s}", "threshold.value", "-.inf"},
		{"ratio: {numerator: a, denominator: b, window: 5m, value: %s}", "ratio.value", "-0.05"},
		{"ratio: {numerator: a, denominator: b, window: 5m, value: %s}", "ratio.value", ".NaN"},
		{"ratio: {numerator: a, denominator: b, window: 5m, min_requests: %s}", "ratio.min_requests", ".nan"},
		{"ratio: {numerator: a, denominator: b, window: %s}", "ratio.window", "400d"},
		{"quantile: {histogram: h, quantile: 0.9, window: 5m, value: %s}", "quantile.value", "-1"},
		{"quantile: {histogram: h, quantile: %s, window: 5m}", "quantile.quantile", ".nan"},
		{"quantile: {histogram: h, quantile: 0.9, window: 5m, min_count: %s}", "quantile.min_count", "-5"},
		{"absence: {success: s, requests: r, window: 5m, min_requests: %s}", "absence.min_requests", ".inf"},
		{"slo: {objective: %s, total: t, errors: e}", "slo.objective", ".nan"},
		{"slo: {objective: 0.99, total: t, latency_threshold: %s}", "slo.latency_threshold", ".inf"},
		{"slo: {objective: 0.99, total: t, errors: e, min_events: %s}", "slo.min_events", ".nan"},
		{"slo: {objective: 0.99, total: t, errors: e, windows: [{severity: page, long: 1h, short: 5m, factor: %s}]}", "slo.windows[0].factor", ".nan"},
	} {
		src := "rules:\n  - name: X\n    " + strings.Replace(c.kind, "%s", c.value, 1) + "\n"
		_, err := Load(strings.NewReader(src))
		var fe *ruleerr.Error
		if !errors.As(err, &fe) || fe.Rule != "X" || fe.Field != c.field || fe.Line != 3 {
			t.Errorf("%s = %s: %v, want a rule field error for %s on line 3", c.field, c.value, err, c.field)
		}
	}
}

// per_instance: true in a file sets Rule.PerInstance, so each replica of
// a fleet raises its own alert for a rule about one process.
func TestPerInstanceIsRead(t *testing.T) {
	rules, err := Load(strings.NewReader(`
rules:
  - name: HeapHigh
    per_instance: true
    threshold: {metric: system.cpu.utilization, value: 0.9}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || !rules[0].PerInstance {
		t.Fatalf("rules %+v: want PerInstance", rules)
	}
}
