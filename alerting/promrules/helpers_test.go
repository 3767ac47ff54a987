package promrules

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

// These helpers run the evaluator on the instruments igmon really emits,
// so a test can compare an exported rule's value with the in-process one.

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

// igmonMeters records through a real SDK MeterProvider read by a
// ManualReader, as monitor wires it (with exporters.ExemplarView).
type igmonMeters struct {
	clk    *clock.Fake
	reader *sdkmetric.ManualReader
	calls  metric.Int64Counter
	depDur metric.Float64Histogram
	cpu    metric.Float64Gauge
}

func newMeters(t testing.TB) *igmonMeters {
	t.Helper()
	m := &igmonMeters{clk: clock.NewFake(t0), reader: sdkmetric.NewManualReader()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(m.reader), sdkmetric.WithView(exporters.ExemplarView()))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	meter := mp.Meter("github.com/jackcode/igmon/monitor")
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatal(e)
		}
	}
	m.calls, err = meter.Int64Counter("igmon.dependency.calls", metric.WithUnit("{call}"))
	must(err)
	m.depDur, err = meter.Float64Histogram("igmon.dependency.duration", metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	must(err)
	m.cpu, err = meter.Float64Gauge("system.cpu.utilization", metric.WithUnit("1"))
	must(err)
	return m
}

// call records n calls of a payment dependency with the given outcome and
// duration.
func (m *igmonMeters) call(name, op, outcome string, n int, seconds float64) {
	ctx := context.Background()
	a := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("igmon.dependency.kind", "payment"),
		attribute.String("igmon.dependency.name", name),
		attribute.String("igmon.dependency.operation", op),
		attribute.String("igmon.dependency.outcome", outcome)))
	for range n {
		m.calls.Add(ctx, 1, a)
		m.depDur.Record(ctx, seconds, a)
	}
}

func mustSel(t testing.TB, s string) alerting.Selector {
	t.Helper()
	sel, err := alerting.ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func newEval(t testing.TB, m *igmonMeters, rules []alerting.Rule) *alerting.Evaluator {
	t.Helper()
	e, err := alerting.NewEvaluator(rules, alerthook.WithClock(m.clk).(alerting.SharedOption), alerting.WithMetricSource(m.reader))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func eval(t testing.TB, e *alerting.Evaluator) []alerting.Alert {
	t.Helper()
	if err := e.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e.Alerts()
}

func find(alerts []alerting.Alert, rule string) *alerting.Alert {
	for i := range alerts {
		if alerts[i].Rule == rule {
			return &alerts[i]
		}
	}
	return nil
}
