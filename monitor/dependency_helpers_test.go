package monitor

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

// newDepMonitor builds a Monitor recording into its own ManualReader.
func newDepMonitor(t testing.TB) (*Monitor, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	m, err := New(WithReader(reader), WithServiceName("test"), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(context.Background()) })
	return m, reader
}

func mustDep(t testing.TB, m *Monitor, kind, name string, opts ...instrument.DependencyOption) *instrument.Dependency {
	t.Helper()
	d, err := m.Dependency(kind, name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// withClock times a dependency's calls on c.
func withClock(c clock.Clock) instrument.DependencyOption {
	return instrumenthook.WithClock(c).(instrument.DependencyOption)
}

// scope collects and returns the monitor package's scope metrics.
func scope(t testing.TB, r *sdkmetric.ManualReader) metricdata.ScopeMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == scopeName {
			return sm
		}
	}
	return metricdata.ScopeMetrics{}
}

func metricNamed(t testing.TB, sm metricdata.ScopeMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, m := range sm.Metrics {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("metric %s not recorded; have %v", name, metricNames(sm))
	return metricdata.Metrics{}
}

func metricNames(sm metricdata.ScopeMetrics) []string {
	var n []string
	for _, m := range sm.Metrics {
		n = append(n, m.Name)
	}
	return n
}

// histCounts maps each data point's attribute set to its count.
func histCounts(t testing.TB, m metricdata.Metrics) map[attribute.Distinct]uint64 {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is %T, not a float64 histogram", m.Name, m.Data)
	}
	out := map[attribute.Distinct]uint64{}
	for _, dp := range h.DataPoints {
		out[dp.Attributes.Equivalent()] = dp.Count
	}
	return out
}

func sumValues(t testing.TB, m metricdata.Metrics) map[attribute.Distinct]int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T, not an int64 sum", m.Name, m.Data)
	}
	out := map[attribute.Distinct]int64{}
	for _, dp := range s.DataPoints {
		out[dp.Attributes.Equivalent()] = dp.Value
	}
	return out
}

func set(kvs ...attribute.KeyValue) attribute.Distinct {
	s := attribute.NewSet(kvs...)
	return s.Equivalent()
}

func depAttrs(kind, name, op, outcome, errType string) attribute.Distinct {
	kvs := []attribute.KeyValue{
		attribute.String(igsemconv.AttrDependencyKind, kind),
		attribute.String(igsemconv.AttrDependencyName, name),
		attribute.String(igsemconv.AttrDependencyOperation, op),
		attribute.String(igsemconv.AttrDependencyOutcome, outcome),
	}
	if errType != "" {
		kvs = append(kvs, attribute.String("error.type", errType))
	}
	return set(kvs...)
}

// seriesWhere counts the data points of a sum whose attribute key has value.
func seriesWhere(t testing.TB, m metricdata.Metrics, key attribute.Key, value string) int {
	t.Helper()
	n := 0
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if v, ok := dp.Attributes.Value(key); ok && v.AsString() == value {
			n++
		}
	}
	return n
}

func eq(s attribute.Set) attribute.Distinct { return s.Equivalent() }

// engineOn makes the Monitor's series engine run on clk; the test then
// drives its cycles with cycle.
func engineOn(m *Monitor, clk *clock.Fake) { m.testNow = clk.Now }

// newEngineMonitor returns a Monitor without system metrics whose series
// engine runs on a fake clock starting at start (cycled by hand with
// cycle), shut down when the test ends.
func newEngineMonitor(t testing.TB, start time.Time, opts ...Option) (*Monitor, *clock.Fake) {
	t.Helper()
	m, err := New(append([]Option{quiet, WithoutSystemMetrics()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(context.Background()) })
	eng := clock.NewFake(start)
	engineOn(m, eng)
	return m, eng
}

// cycle runs one cycle of the Monitor's series engine: what Start does
// every defaultStatusInterval.
func cycle(t testing.TB, m *Monitor) {
	t.Helper()
	if err := m.engine.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// statsNow runs an engine cycle and returns d's figures from it.
func statsNow(t testing.TB, m *Monitor, d *instrument.Dependency) instrument.Stats {
	t.Helper()
	cycle(t, m)
	return d.Stats()
}
