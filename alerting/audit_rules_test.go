package alerting

// Tests added by the issue-7 audit for detection and the rule export:
// the SLO "both windows" condition, alerts-by-state for every state, and
// annotation and label translation in the Prometheus export.

import (
	"context"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// TestSLONeedsBothWindows checks the workbook's two properties of a
// multiwindow alert: a short spike alone does not page (the long window
// is not burning), and an alert resets soon after the errors stop (the
// short window recovers) although the long window still burns.
func TestSLONeedsBothWindows(t *testing.T) {
	m := newMeters(t)
	errSel := mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="error"}`)
	e := newEval(t, m, []Rule{{Name: "Availability", Condition: &SLO{
		Objective: 0.999, Total: mustSel(t, `igmon.dependency.calls`), Errors: &errSel,
		Windows: []BurnWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4}}}}})
	step := func(errors int) *Alert {
		m.call("stripe", "deposit", "error", errors, 0.1)
		m.call("stripe", "deposit", "success", 100-errors, 0.1)
		m.clk.Advance(15 * time.Second)
		eval(t, e)
		return find(e.Alerts(), "Availability")
	}
	eval(t, e)
	for range 4 * 60 { // an hour of clean traffic
		step(0)
	}
	// 2 % errors (burn 20) for 5 minutes: the short window burns, the
	// hour is at ~1.7.
	var a *Alert
	for range 20 {
		a = step(2)
	}
	if a != nil && a.State != StateInactive {
		t.Fatalf("short spike paged: %+v", a)
	}
	// Keep burning for the rest of the hour: both windows burn.
	for range 4 * 55 {
		a = step(2)
	}
	if a == nil || a.State != StateFiring || math.Abs(a.Value-20) > 1 {
		t.Fatalf("sustained burn: %+v, want firing at ≈20", a)
	}
	// The errors stop: within the short window the alert resolves, while
	// the hour still burns well above 14.4.
	for range 21 {
		a = step(0)
	}
	if a == nil || a.State != StateResolved {
		t.Fatalf("after the errors stopped: %+v, want resolved", a)
	}
}

func TestAlertsMetricCountsEveryState(t *testing.T) {
	m := newMeters(t)
	own := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(own))
	defer mp.Shutdown(context.Background())
	e := newEval(t, m, []Rule{
		{Name: "CPU", For: time.Minute, Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}},
		{Name: "Mem", Condition: &Threshold{Metric: mustSel(t, `system.memory.utilization`), Value: 0.9}},
	}, WithMeterProvider(mp))
	counts := func() map[string]int64 { return int64Points(t, own, metricAlerts, attrAlertRule, attrAlertState) }
	ctx := context.Background()
	m.cpu.Record(ctx, 0.95)
	m.mem.Record(ctx, 0.95)
	eval(t, e)
	if c := counts(); c["CPU/pending"] != 1 || c["Mem/firing"] != 1 || c["CPU/firing"] != 0 {
		t.Fatalf("pending/firing: %v", c)
	}
	m.mem.Record(ctx, 0.1)
	m.clk.Advance(15 * time.Second)
	eval(t, e)
	if c := counts(); c["Mem/resolved"] != 1 || c["Mem/firing"] != 0 || c["CPU/pending"] != 1 {
		t.Fatalf("resolved: %v", c)
	}
}

func TestThresholdAggregations(t *testing.T) {
	m := newMeters(t)
	ctx := context.Background()
	for pool, v := range map[string]int64{"wallet": 10, "ledger": 30} {
		m.poolConn.Add(ctx, v, metric.WithAttributes(attribute.String("db.client.connection.pool.name", pool)))
	}
	sel := mustSel(t, `db.client.connection.count`)
	rules := []Rule{}
	for _, agg := range []Aggregation{AggMax, AggMin, AggSum, AggAvg} {
		rules = append(rules, Rule{Name: "Pool_" + string(agg), Condition: &Threshold{Metric: sel, Aggregation: agg, Op: BelowOrEqual, Value: 1000}})
	}
	got := eval(t, newEval(t, m, rules))
	want := map[Aggregation]float64{AggMax: 30, AggMin: 10, AggSum: 40, AggAvg: 20}
	for agg, v := range want {
		a := find(got, "Pool_"+string(agg))
		if a == nil || a.Value != v {
			t.Errorf("%s: %+v, want value %v", agg, a, v)
		}
	}
}
