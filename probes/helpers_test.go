package probes

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// testMeter returns a provider with one manual reader, shut down at the end
// of the test.
func testMeter(t testing.TB) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	t.Helper()
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, rd
}

func collect(t testing.TB, rd *sdkmetric.ManualReader) *metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	return &rm
}

func findMetric(rm *metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

type point struct {
	attrs attribute.Set
	value float64
	count uint64 // histograms
}

// points returns the data points of a metric as float64 values (the count
// and sum for histograms).
func points(rm *metricdata.ResourceMetrics, name string) []point {
	m, ok := findMetric(rm, name)
	if !ok {
		return nil
	}
	var out []point
	switch d := m.Data.(type) {
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs: p.Attributes, value: p.Value})
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs: p.Attributes, value: float64(p.Value)})
		}
	case metricdata.Sum[float64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs: p.Attributes, value: p.Value})
		}
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs: p.Attributes, value: float64(p.Value)})
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, point{attrs: p.Attributes, value: p.Sum, count: p.Count})
		}
	}
	return out
}

// value returns the value of the point of name whose attributes include
// all of kv.
func value(rm *metricdata.ResourceMetrics, name string, kv ...attribute.KeyValue) (point, bool) {
	for _, p := range points(rm, name) {
		match := true
		for _, want := range kv {
			got, ok := p.attrs.Value(want.Key)
			if !ok || got != want.Value {
				match = false
				break
			}
		}
		if match {
			return p, true
		}
	}
	return point{}, false
}

func mustValue(t testing.TB, rm *metricdata.ResourceMetrics, name string, kv ...attribute.KeyValue) float64 {
	t.Helper()
	p, ok := value(rm, name, kv...)
	if !ok {
		t.Fatalf("no %s point with %v; have %v", name, kv, points(rm, name))
	}
	return p.value
}

// optionsAs converts options valid for several kinds to one constructor's
// option type, so a table can share them between constructors.
func optionsAs[O any, T any](opts []T) []O {
	out := make([]O, len(opts))
	for i, o := range opts {
		out[i] = any(o).(O)
	}
	return out
}
