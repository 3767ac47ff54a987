package instrument

import (
	"context"
	"math"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/instrumenthook"
	"github.com/jackcode/igmon/internal/metrictest"
)

// rig records into its own ManualReader the way a Monitor composes this
// package: its dependencies and middleware get the provider and a stats
// source through instrumenthook.WithMonitor. The source reads the
// reader's cumulative call counts, so that Stats shows what was recorded
// without a series engine (windows are the Monitor's, tested there).
type rig struct {
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

// newRig returns a rig whose provider is shut down when the test ends.
func newRig(t testing.TB) (*rig, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	r := &rig{mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), reader: reader}
	t.Cleanup(func() { _ = r.mp.Shutdown(context.Background()) })
	return r, reader
}

func (r *rig) own() Option {
	return instrumenthook.WithMonitor(r.mp, r.figures).(Option)
}

// Dependency is NewDependency on the rig's provider and stats source.
func (r *rig) Dependency(kind, name string, opts ...DependencyOption) (*Dependency, error) {
	return NewDependency(kind, name, append(opts, r.own())...)
}

// Middleware is Middleware on the rig's provider.
func (r *rig) Middleware(next http.Handler, opts ...MiddlewareOption) (http.Handler, error) {
	return Middleware(next, append(opts, r.own())...)
}

// figures sums igmon.dependency.calls of kind/name by outcome, since the
// start; latency quantiles are not measured (NaN).
func (r *rig) figures(kind, name string) instrumenthook.Figures {
	f := instrumenthook.Figures{P50: math.NaN(), P95: math.NaN(), P99: math.NaN()}
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		return f
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != metricDependencyCalls || !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				k, _ := dp.Attributes.Value(attrDependencyKind)
				n, _ := dp.Attributes.Value(attrDependencyName)
				o, _ := dp.Attributes.Value(attrDependencyOutcome)
				if k.AsString() != kind || n.AsString() != name {
					continue
				}
				for i, on := range outcomeNames {
					if i > 0 && on == o.AsString() {
						f.Outcomes[i] += float64(dp.Value)
					}
				}
			}
		}
	}
	return f
}

func mustDep(t testing.TB, m *rig, kind, name string, opts ...DependencyOption) *Dependency {
	t.Helper()
	d, err := m.Dependency(kind, name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
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

// statsNow returns d's figures: what the rig's source reads now.
func statsNow(t testing.TB, _ *rig, d *Dependency) Stats {
	t.Helper()
	return d.Stats()
}
