package exporters

import (
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
)

// durationBuckets are the semantic-convention boundaries for
// http.server.request.duration and http.client.request.duration, in
// seconds: fine where API latencies live, up to 10s.
var durationBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// durationBucketsCopy returns the semantic-convention bucket boundaries for
// durations in seconds.
func durationBucketsCopy() []float64 { return append([]float64(nil), durationBuckets[:]...) }

// BucketAdvice wraps mp so that every histogram measured in s (or ms)
// whose instrument gives no bucket advice of its own gets the
// semantic-convention duration boundaries. The SDK's default buckets
// (0, 5, 10, ... 10000) are useless for seconds, and a View cannot do this:
// a View's aggregation would also override the advice instruments do give.
// It only acts when an instrument is created; recording is untouched.
func BucketAdvice(mp metric.MeterProvider) metric.MeterProvider {
	return &adviceProvider{mp: mp}
}

type adviceProvider struct {
	embedded.MeterProvider
	mp metric.MeterProvider
}

func (p *adviceProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return &adviceMeter{Meter: p.mp.Meter(name, opts...)}
}

// adviceMeter embeds the SDK meter: every method but the two histogram
// constructors is the SDK's own.
type adviceMeter struct {
	metric.Meter
}

func bucketsFor(unit string) []float64 {
	switch unit {
	case "s":
		return durationBucketsCopy()
	case "ms":
		b := durationBucketsCopy()
		for i := range b {
			b[i] *= 1000
		}
		return b
	}
	return nil
}

func (m *adviceMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	cfg := metric.NewFloat64HistogramConfig(opts...)
	if cfg.ExplicitBucketBoundaries() == nil {
		if b := bucketsFor(cfg.Unit()); b != nil {
			opts = append(opts[:len(opts):len(opts)], metric.WithExplicitBucketBoundaries(b...))
		}
	}
	return m.Meter.Float64Histogram(name, opts...)
}

func (m *adviceMeter) Int64Histogram(name string, opts ...metric.Int64HistogramOption) (metric.Int64Histogram, error) {
	cfg := metric.NewInt64HistogramConfig(opts...)
	if cfg.ExplicitBucketBoundaries() == nil && cfg.Unit() == "ms" {
		opts = append(opts[:len(opts):len(opts)], metric.WithExplicitBucketBoundaries(bucketsFor("ms")...))
	}
	return m.Meter.Int64Histogram(name, opts...)
}
