package exporters

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/internal/otlptest"
)

// benchSetup returns the readers for one variant and a cleanup.
type benchSetup func(b *testing.B) ([]sdkmetric.Reader, func())

func manualOnly(*testing.B) ([]sdkmetric.Reader, func()) {
	return []sdkmetric.Reader{sdkmetric.NewManualReader()}, func() {}
}

// periodicOTLP exports every 50ms to a live receiver while the benchmark
// records, so any coupling between export and recording would show.
func periodicOTLP(b *testing.B) ([]sdkmetric.Reader, func()) {
	r, err := otlptest.Start()
	if err != nil {
		b.Fatal(err)
	}
	exp, err := OTLP(context.Background(), withEnvLookup(mapLookup(map[string]string{envEndpoint: r.Endpoint()})),
		WithInterval(50*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewPipeline([]*Exporter{exp}, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	p.Start() // the loop waits for the provider the caller builds
	return p.Readers(), r.Stop
}

// recorder is one variant's MeterProvider and a precomputed call.
type recorder struct {
	mp   *sdkmetric.MeterProvider
	stop func()
	call func(ctx context.Context)
}

func newRecorder(b *testing.B, setup benchSetup) *recorder {
	readers, stop := setup(b)
	var opts []sdkmetric.Option
	for _, r := range readers {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	mp := sdkmetric.NewMeterProvider(opts...)
	m := BucketAdvice(mp).Meter("bench")
	c, _ := m.Int64Counter("igmon.bench.calls")
	h, _ := m.Float64Histogram("http.client.request.duration", metric.WithUnit("s"))
	set := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("server.address", "psp.example"), attribute.String("http.request.method", "POST"),
		attribute.Int("http.response.status_code", 200)))
	// Option slices built once, as igmon's instrumentation does.
	addOpts, recOpts := []metric.AddOption{set}, []metric.RecordOption{set}
	return &recorder{mp: mp, stop: stop, call: func(ctx context.Context) {
		c.Add(ctx, 1, addOpts...)
		h.Record(ctx, 0.042, recOpts...)
	}}
}

func (r *recorder) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.mp.Shutdown(ctx)
	r.stop()
}

// recordLoop measures one counter Add and one histogram Record with a
// precomputed attribute set: the instrumented-call cost.
func recordLoop(setup benchSetup) func(b *testing.B) {
	return func(b *testing.B) {
		r := newRecorder(b, setup)
		defer r.close()
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r.call(ctx)
		}
	}
}

// BenchmarkRecord compares the instrumented-call cost with a ManualReader
// only and with a PeriodicReader pushing over OTLP every 50ms.
func BenchmarkRecord(b *testing.B) {
	b.Run("ManualReader", recordLoop(manualOnly))
	b.Run("PeriodicOTLP", recordLoop(periodicOTLP))
}

// BenchmarkExportOverheadRatio runs both variants interleaved, in chunks
// of 1000 calls, so machine noise hits both alike, and reports PeriodicOTLP
// ns/op ÷ ManualReader ns/op as "ratio" (target ≤ 1.1).
func BenchmarkExportOverheadRatio(b *testing.B) {
	base, otlp := newRecorder(b, manualOnly), newRecorder(b, periodicOTLP)
	defer base.close()
	defer otlp.close()
	ctx := context.Background()
	const chunk = 1000
	var tBase, tOTLP time.Duration
	run := func(r *recorder) time.Duration {
		start := time.Now()
		for range chunk {
			r.call(ctx)
		}
		return time.Since(start)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += chunk {
		if i/chunk%2 == 0 {
			tBase += run(base)
			tOTLP += run(otlp)
		} else {
			tOTLP += run(otlp)
			tBase += run(base)
		}
	}
	n := float64((b.N + chunk - 1) / chunk * chunk)
	b.ReportMetric(float64(tBase.Nanoseconds())/n, "manual-ns/call")
	b.ReportMetric(float64(tOTLP.Nanoseconds())/n, "otlp-ns/call")
	b.ReportMetric(float64(tOTLP)/float64(tBase), "ratio")
}
