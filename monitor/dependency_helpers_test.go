package monitor

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/instrumenthook"
	"github.com/jackcode/igmon/internal/metrictest"
)

// withReader makes the Monitor's provider also feed r (a ManualReader the
// test collects), as a pull exporter.
func withReader(t testing.TB, r sdkmetric.Reader) Option {
	t.Helper()
	e, err := exporters.NewPull("test-reader", r)
	if err != nil {
		t.Fatal(err)
	}
	return WithExporters(e)
}

// newDepMonitor builds a Monitor recording into its own ManualReader.
func newDepMonitor(t testing.TB) (*Monitor, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	m, err := New(withReader(t, reader), WithServiceName("test"), WithLogger(slog.New(slog.DiscardHandler)))
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

// scope collects and returns the package's scope metrics.
func scope(t testing.TB, r *sdkmetric.ManualReader) metricdata.ScopeMetrics {
	t.Helper()
	return metrictest.Scope(t, r, scopeName)
}

// The readers of collected metrics every package's tests share.
var (
	metricNamed = metrictest.Metric
	metricNames = metrictest.Names
	histCounts  = metrictest.HistCounts
	sumValues   = metrictest.SumValues
	seriesWhere = metrictest.SeriesWhere
	set         = metrictest.Set
	depAttrs    = metrictest.DepAttrs
)

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
