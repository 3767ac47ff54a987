package exporters

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestBucketAdvice(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer sdk.Shutdown(context.Background())
	m := BucketAdvice(sdk).Meter("t")
	ctx := context.Background()
	own := []float64{1, 2, 3}
	record := func(name string, opts ...metric.Float64HistogramOption) {
		h, err := m.Float64Histogram(name, opts...)
		if err != nil {
			t.Fatal(err)
		}
		h.Record(ctx, 0.1)
	}
	record("seconds", metric.WithUnit("s"))
	record("seconds.own", metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(own...))
	record("millis", metric.WithUnit("ms"))
	record("bytes", metric.WithUnit("By"))
	ih, _ := m.Int64Histogram("int.millis", metric.WithUnit("ms"))
	ih.Record(ctx, 3)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	bounds := map[string][]float64{}
	for _, mt := range rm.ScopeMetrics[0].Metrics {
		switch d := mt.Data.(type) {
		case metricdata.Histogram[float64]:
			bounds[mt.Name] = d.DataPoints[0].Bounds
		case metricdata.Histogram[int64]:
			bounds[mt.Name] = d.DataPoints[0].Bounds
		}
	}
	millis := durationBucketsCopy()
	for i := range millis {
		millis[i] *= 1000
	}
	sdkDefault := []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}
	for name, want := range map[string][]float64{
		"seconds": durationBucketsCopy(), "seconds.own": own, "millis": millis, "int.millis": millis, "bytes": sdkDefault,
	} {
		if !slices.Equal(bounds[name], want) {
			t.Errorf("%s bounds = %v, want %v", name, bounds[name], want)
		}
	}
}

func TestCardinalityLimitBoundsSeries(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithCardinalityLimit(10))
	defer mp.Shutdown(context.Background())
	c, _ := mp.Meter("t").Int64Counter("c")
	ctx := context.Background()
	for i := range 1000 {
		c.Add(ctx, 1, metric.WithAttributes(attribute.Int("player", i)))
	}
	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	dps := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints
	if len(dps) != 10 {
		t.Fatalf("%d series, want 10", len(dps))
	}
	var total int64
	for _, dp := range dps {
		total += dp.Value
	}
	if total != 1000 {
		t.Fatalf("total %d, want 1000: overflow must keep the count", total)
	}
}

func TestDurationBucketsIsACopy(t *testing.T) {
	b := durationBucketsCopy()
	b[0] = 42
	if durationBucketsCopy()[0] != 0.005 {
		t.Fatal("durationBucketsCopy shares its backing array")
	}
}
