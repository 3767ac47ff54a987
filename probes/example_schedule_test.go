package probes_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/probes"
)

// A reader built with the runtime producer reports go.schedule.duration
// next to the instruments of its MeterProvider. (The Monitor does this for
// the readers it builds.)
func ExampleRuntimeProducer() {
	rd := sdkmetric.NewManualReader(sdkmetric.WithProducer(probes.RuntimeProducer()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())

	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h := m.Data.(metricdata.Histogram[float64])
			fmt.Println(m.Name, m.Unit, len(h.DataPoints[0].BucketCounts), "buckets")
		}
	}
	// Output: go.schedule.duration s 20 buckets
}
