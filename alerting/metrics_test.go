package alerting

import (
	"context"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/metrictest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

func TestAlertsMetricCountsEveryState(t *testing.T) {
	m := newMeters(t)
	own := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(own))
	defer mp.Shutdown(context.Background())
	e := newEval(t, m, []Rule{
		{Name: "CPU", For: time.Minute, Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}},
		{Name: "Mem", Condition: &Threshold{Metric: mustSel(t, `system.memory.utilization`), Value: 0.9}},
	}, WithMeterProvider(mp))
	counts := func() map[string]int64 {
		return metrictest.Int64Points(t, own, metricAlerts, attrAlertRule, attrAlertState)
	}
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
