package alerting

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

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
