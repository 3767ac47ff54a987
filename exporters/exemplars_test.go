package exporters

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
)

// exemplarRig records the same measurements into two providers, one with
// ExemplarView and one with the SDK defaults, so their output can be
// compared collection by collection.
type exemplarRig struct {
	readers [2]*sdkmetric.ManualReader
	hists   [2]metric.Float64Histogram
	ctrs    [2]metric.Int64Counter
}

func newExemplarRig(t testing.TB) *exemplarRig {
	r := &exemplarRig{}
	for i := range 2 {
		r.readers[i] = sdkmetric.NewManualReader()
		opts := []sdkmetric.Option{sdkmetric.WithReader(r.readers[i])}
		if i == 0 {
			opts = append(opts, sdkmetric.WithView(ExemplarView()))
		}
		mp := sdkmetric.NewMeterProvider(opts...)
		t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		m := mp.Meter("t")
		var err error
		r.hists[i], err = m.Float64Histogram("d", metric.WithUnit("s"), metric.WithDescription("desc"),
			metric.WithExplicitBucketBoundaries(0.1, 1))
		if err != nil {
			t.Fatal(err)
		}
		r.ctrs[i], err = m.Int64Counter("c", metric.WithUnit("{call}"))
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *exemplarRig) record(ctx context.Context, v float64, attrs metric.MeasurementOption) {
	for i := range 2 {
		r.hists[i].Record(ctx, v, attrs)
		r.ctrs[i].Add(ctx, 1, attrs)
	}
}

// exemplarsOf flattens a collection into "metric/attrs" → exemplar values
// and trace IDs, plus the instrument metadata the view must keep.
func exemplarsOf(t *testing.T, rm *metricdata.ResourceMetrics) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name+"/meta"] = m.Unit + " " + m.Description
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					out[m.Name+"/"+dp.Attributes.Encoded(attribute.DefaultEncoder())] = fmt.Sprint(dp.Bounds, dp.Count, exemplarValues(dp.Exemplars))
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					out[m.Name+"/"+dp.Attributes.Encoded(attribute.DefaultEncoder())] = fmt.Sprint(dp.Value, exemplarValues(dp.Exemplars))
				}
			default:
				t.Fatalf("unexpected data %T", d)
			}
		}
	}
	return out
}

func exemplarValues[N int64 | float64](es []metricdata.Exemplar[N]) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("[%v %x %x]", e.Value, e.TraceID, e.SpanID)
	}
	return s
}

func sampledCtx(n byte) context.Context {
	return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, n}, SpanID: trace.SpanID{2, n}, TraceFlags: trace.FlagsSampled,
	}))
}

func TestExemplarViewKeepsSDKOutput(t *testing.T) {
	r := newExemplarRig(t)
	quiet := metric.WithAttributes(attribute.String("series", "quiet"))
	traced := metric.WithAttributes(attribute.String("series", "traced"))
	steps := []struct {
		name string
		do   func()
	}{
		{"no spans: no exemplars", func() {
			r.record(context.Background(), 0.05, quiet)
			r.record(context.Background(), 0.5, traced)
		}},
		{"sampled span: exemplars", func() { r.record(sampledCtx(1), 0.5, traced) }},
		{"nothing offered: the same exemplars again", func() { r.record(context.Background(), 2, traced) }},
		{"a newer span replaces them", func() { r.record(sampledCtx(2), 0.7, traced) }},
		{"idle collection", func() {}},
	}
	var rms [2]metricdata.ResourceMetrics // reused, as readers reuse them
	for _, st := range steps {
		st.do()
		for i := range 2 {
			if err := r.readers[i].Collect(context.Background(), &rms[i]); err != nil {
				t.Fatal(err)
			}
		}
		got, want := exemplarsOf(t, &rms[0]), exemplarsOf(t, &rms[1])
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s:\nwith view: %v\nSDK:       %v", st.name, got, want)
		}
	}
	// The comparison above would pass if both lost their exemplars.
	final := exemplarsOf(t, &rms[0])
	// 0.7 replaced 0.5: both fell in the (0.1, 1] bucket's reservoir.
	if got := final[`d/series=traced`]; got != "[0.1 1] 4[0.7 01020000000000000000000000000000 0202000000000000]" {
		t.Errorf("traced histogram = %q, want the exemplar of the second span", got)
	}
	if got := final[`d/series=quiet`]; got != "[0.1 1] 1" {
		t.Errorf("quiet histogram = %q, want no exemplars", got)
	}
}

// BenchmarkCollectExemplars compares one collection of 5,000 counter and
// 5,000 histogram series that never saw a sampled span, with the SDK's
// default reservoirs and with ExemplarView. The ratio is what every reader
// saves per cycle.
func BenchmarkCollectExemplars(b *testing.B) {
	for _, v := range []struct {
		name string
		view bool
	}{{"sdk-default", false}, {"ExemplarView", true}} {
		b.Run(v.name, func(b *testing.B) {
			reader := sdkmetric.NewManualReader()
			opts := []sdkmetric.Option{sdkmetric.WithReader(reader), sdkmetric.WithCardinalityLimit(0)}
			if v.view {
				opts = append(opts, sdkmetric.WithView(ExemplarView()))
			}
			mp := sdkmetric.NewMeterProvider(opts...)
			defer mp.Shutdown(context.Background())
			m := mp.Meter("b")
			c, _ := m.Int64Counter("c")
			h, _ := m.Float64Histogram("h", metric.WithExplicitBucketBoundaries(durationBucketsCopy()...))
			ctx := context.Background()
			for i := range 5000 {
				a := metric.WithAttributeSet(attribute.NewSet(attribute.Int("i", i)))
				c.Add(ctx, 1, a)
				h.Record(ctx, 0.1, a)
			}
			var rm metricdata.ResourceMetrics
			b.ReportAllocs()
			for b.Loop() {
				if err := reader.Collect(ctx, &rm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestExemplarViewConcurrent records in sampled spans from several
// goroutines while collecting; run with -race. The last collection after
// the writers stop must hold an exemplar of the traced series.
func TestExemplarViewConcurrent(t *testing.T) {
	r := newExemplarRig(t)
	attrs := metric.WithAttributes(attribute.String("series", "busy"))
	done := make(chan struct{})
	var wg, started sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			ctx := sampledCtx(byte(g + 1))
			r.hists[0].Record(ctx, 0.5, attrs)
			started.Done()
			for {
				select {
				case <-done:
					return
				default:
					r.hists[0].Record(ctx, 0.5, attrs)
				}
			}
		}()
	}
	started.Wait()
	var rm metricdata.ResourceMetrics
	for range 50 {
		if err := r.readers[0].Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if err := r.readers[0].Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if got := exemplarsOf(t, &rm)["d/series=busy"]; !strings.Contains(got, "[0.5 01") {
		t.Fatalf("busy histogram = %q, want an exemplar from a sampled span", got)
	}
}
