package alerting

import (
	"context"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/series"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

// igmonMeters records into the instruments igmon really emits, through a
// real SDK MeterProvider read by a ManualReader, as monitor wires it
// (with exporters.ExemplarView).
type igmonMeters struct {
	clk      *clock.Fake
	reader   *sdkmetric.ManualReader
	mp       *sdkmetric.MeterProvider
	calls    metric.Int64Counter
	depDur   metric.Float64Histogram
	srvDur   metric.Float64Histogram
	cpu      metric.Float64Gauge
	mem      metric.Float64Gauge
	poolConn metric.Int64UpDownCounter
	poolMax  metric.Int64Gauge
}

func newMeters(t testing.TB, readerOpts ...sdkmetric.ManualReaderOption) *igmonMeters {
	t.Helper()
	m := &igmonMeters{clk: clock.NewFake(t0), reader: sdkmetric.NewManualReader(readerOpts...)}
	// The SDK's default cardinality limit (2000 per instrument) would fold
	// the benchmark's 5,000 series per instrument into an overflow series.
	m.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(m.reader), sdkmetric.WithCardinalityLimit(50_000),
		sdkmetric.WithView(exporters.ExemplarView()))
	t.Cleanup(func() { _ = m.mp.Shutdown(context.Background()) })
	meter := m.mp.Meter("github.com/jackcode/igmon/monitor")
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
	m.srvDur, err = meter.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	must(err)
	m.cpu, err = meter.Float64Gauge("system.cpu.utilization", metric.WithUnit("1"))
	must(err)
	m.mem, err = meter.Float64Gauge("system.memory.utilization", metric.WithUnit("1"))
	must(err)
	m.poolConn, err = meter.Int64UpDownCounter("db.client.connection.count", metric.WithUnit("{connection}"))
	must(err)
	m.poolMax, err = meter.Int64Gauge("db.client.connection.max", metric.WithUnit("{connection}"))
	must(err)
	return m
}

func depAttrs(kind, name, op, outcome string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(
		attribute.String("igmon.dependency.kind", kind),
		attribute.String("igmon.dependency.name", name),
		attribute.String("igmon.dependency.operation", op),
		attribute.String("igmon.dependency.outcome", outcome)))
}

// call records n calls of stripe deposit (or another dependency) with the
// given outcome and duration.
func (m *igmonMeters) call(name, op, outcome string, n int, seconds float64) {
	ctx := context.Background()
	a := depAttrs("payment", name, op, outcome)
	for range n {
		m.calls.Add(ctx, 1, a)
		m.depDur.Record(ctx, seconds, a)
	}
}

func mustSel(t testing.TB, s string) Selector {
	t.Helper()
	sel, err := ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func newEval(t testing.TB, m *igmonMeters, rules []Rule, opts ...EvaluatorOption) *Evaluator {
	t.Helper()
	opts = append([]EvaluatorOption{withClock(m.clk), WithMetricSource(m.reader)}, opts...)
	e, err := NewEvaluator(rules, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func eval(t testing.TB, e *Evaluator) []Alert {
	t.Helper()
	if err := e.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e.Alerts()
}

func stateOf(alerts []Alert, rule string, labels map[string]string) State {
	for _, a := range alerts {
		if a.Rule != rule {
			continue
		}
		ok := true
		for k, v := range labels {
			if a.Labels[k] != v {
				ok = false
			}
		}
		if ok {
			return a.State
		}
	}
	return StateInactive
}

func find(alerts []Alert, rule string) *Alert {
	for i := range alerts {
		if alerts[i].Rule == rule {
			return &alerts[i]
		}
	}
	return nil
}

// selections is the number of distinct selections the evaluator's rules
// registered.
func selections(e *Evaluator) int {
	var n int
	_ = e.eng.Register(func(st *series.Store) error { n = st.Selections(); return nil })
	return n
}

// tracked is the number of series the evaluator's store tracks.
func tracked(e *Evaluator) int {
	var n int
	_ = e.eng.Register(func(st *series.Store) error { n = st.Tracked(); return nil })
	return n
}

func mustMatchers(t testing.TB, s string) Matchers {
	t.Helper()
	ms, err := ParseMatchers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// bounded runs fn and fails the test when it allocates more than maxAlloc
// bytes: the work a hostile input causes is bounded by what it may
// allocate, which does not depend on how loaded the machine is. The time
// it took is only logged, against the budget d it would have on an idle
// machine (the benchmarks measure it).
func bounded(t *testing.T, d time.Duration, maxAlloc uint64, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	fn()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if took > d {
		t.Logf("took %v (budget on an idle machine: %v)", took, d)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > maxAlloc {
		t.Errorf("allocated %d MB, want at most %d MB", a>>20, maxAlloc>>20)
	}
}
