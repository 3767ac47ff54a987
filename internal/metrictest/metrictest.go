package metrictest

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/igsemconv"
)

// Scope collects r and returns the metrics of the instrumentation scope
// named name, empty when it recorded nothing.
func Scope(t testing.TB, r *sdkmetric.ManualReader, name string) metricdata.ScopeMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == name {
			return sm
		}
	}
	return metricdata.ScopeMetrics{}
}

// Metric returns the metric of sm named name and fails the test, listing
// what was recorded, when there is none.
func Metric(t testing.TB, sm metricdata.ScopeMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, m := range sm.Metrics {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("metric %s not recorded; have %v", name, Names(sm))
	return metricdata.Metrics{}
}

// Names lists the metrics of sm.
func Names(sm metricdata.ScopeMetrics) []string {
	var n []string
	for _, m := range sm.Metrics {
		n = append(n, m.Name)
	}
	return n
}

// HistCounts maps each data point's attribute set to its count.
func HistCounts(t testing.TB, m metricdata.Metrics) map[attribute.Distinct]uint64 {
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

// SumValues maps each data point's attribute set to its value.
func SumValues(t testing.TB, m metricdata.Metrics) map[attribute.Distinct]int64 {
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

// SeriesWhere counts the data points of an int64 sum whose attribute key
// has value.
func SeriesWhere(t testing.TB, m metricdata.Metrics, key attribute.Key, value string) int {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T, not an int64 sum", m.Name, m.Data)
	}
	n := 0
	for _, dp := range s.DataPoints {
		if v, ok := dp.Attributes.Value(key); ok && v.AsString() == value {
			n++
		}
	}
	return n
}

// Set is the attribute set of kvs, as HistCounts and SumValues key it.
func Set(kvs ...attribute.KeyValue) attribute.Distinct {
	s := attribute.NewSet(kvs...)
	return s.Equivalent()
}

// DepAttrs is the attribute set of a dependency call: kind, name,
// operation, outcome and, when not empty, error.type.
func DepAttrs(kind, name, op, outcome, errType string) attribute.Distinct {
	kvs := []attribute.KeyValue{
		attribute.String(igsemconv.AttrDependencyKind, kind),
		attribute.String(igsemconv.AttrDependencyName, name),
		attribute.String(igsemconv.AttrDependencyOperation, op),
		attribute.String(igsemconv.AttrDependencyOutcome, outcome),
	}
	if errType != "" {
		kvs = append(kvs, attribute.String("error.type", errType))
	}
	return Set(kvs...)
}

// Int64Points collects r and returns the int64 gauge or sum points of the
// metric name, keyed by the values of keys joined with "/".
func Int64Points(t testing.TB, r *sdkmetric.ManualReader, name string, keys ...attribute.Key) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name != name {
				continue
			}
			var dps []metricdata.DataPoint[int64]
			switch d := md.Data.(type) {
			case metricdata.Gauge[int64]:
				dps = d.DataPoints
			case metricdata.Sum[int64]:
				dps = d.DataPoints
			default:
				t.Fatalf("%s: %T is not an int64 gauge or sum", name, md.Data)
			}
			for _, dp := range dps {
				vals := make([]string, len(keys))
				for i, k := range keys {
					v, _ := dp.Attributes.Value(k)
					vals[i] = v.AsString()
				}
				out[strings.Join(vals, "/")] = dp.Value
			}
		}
	}
	return out
}
