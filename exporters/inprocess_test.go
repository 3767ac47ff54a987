package exporters

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func sumValue(t *testing.T, rm metricdata.ResourceMetrics, name string) int64 {
	t.Helper()
	var v int64
	for _, dp := range findSum(t, rm, name).DataPoints {
		v += dp.Value
	}
	return v
}

func TestInProcessCachesForTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ip, err := NewInProcess(WithCacheTTL(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(ip.Reader()))
		defer mp.Shutdown(context.Background())
		c, _ := mp.Meter("t").Int64Counter("bets")
		ctx := context.Background()

		c.Add(ctx, 1)
		rm, err := ip.Collect(ctx)
		if err != nil || sumValue(t, rm, "bets") != 1 {
			t.Fatalf("first collect: %v", err)
		}
		c.Add(ctx, 1)
		time.Sleep(999 * time.Millisecond) // the bubble's clock: instant
		if rm, _ := ip.Collect(ctx); sumValue(t, rm, "bets") != 1 {
			t.Fatal("collected again within the TTL")
		}
		time.Sleep(time.Millisecond)
		if rm, _ := ip.Collect(ctx); sumValue(t, rm, "bets") != 2 {
			t.Fatal("stale after the TTL")
		}
	})
}

// TestInProcessCoalesces: many concurrent readers, one collection (the
// observable callback counts collections).
func TestInProcessCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ip, _ := NewInProcess()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(ip.Reader()))
		defer mp.Shutdown(context.Background())
		var calls atomic.Int64
		release := make(chan struct{})
		_, err := mp.Meter("t").Int64ObservableGauge("slow", metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			calls.Add(1)
			<-release
			o.Observe(7)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for range 32 {
			wg.Go(func() {
				_, err := ip.Collect(context.Background())
				errs <- err
			})
		}
		// Every reader has arrived: one is in the callback, the others
		// wait for its collection.
		synctest.Wait()
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("%d collections for 32 concurrent callers, want 1", n)
		}
	})
}

func TestInProcessNotRegistered(t *testing.T) {
	ip, _ := NewInProcess()
	if _, err := ip.Collect(context.Background()); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewInProcess(WithCacheTTL(-1)); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("negative TTL: %v", err)
	}
}

func dataOf(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Aggregation {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data
			}
		}
	}
	t.Fatalf("metric %s not collected", name)
	return nil
}

// TestInProcessHistogramsAreExponential: on the in-process reader a
// histogram is base-2 exponential even when its instrument advises
// explicit buckets, while another reader of the same provider (as an
// exporter's) still gets the advised explicit buckets; counters are
// untouched.
func TestInProcessHistogramsAreExponential(t *testing.T) {
	ip, err := NewInProcess(WithCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	exported := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(ip.Reader()), sdkmetric.WithReader(exported),
		sdkmetric.WithView(ExemplarView()))
	defer mp.Shutdown(context.Background())
	meter := BucketAdvice(mp).Meter("t")
	advised, err := meter.Float64Histogram("advised", metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.01, 0.1, 1, 10, 30))
	if err != nil {
		t.Fatal(err)
	}
	// No advice of its own: BucketAdvice adds the duration buckets.
	defaulted, err := meter.Int64Histogram("defaulted", metric.WithUnit("ms"))
	if err != nil {
		t.Fatal(err)
	}
	calls, _ := meter.Int64Counter("calls")
	ctx := context.Background()
	advised.Record(ctx, 1.5)
	defaulted.Record(ctx, 1500)
	calls.Add(ctx, 1)

	rm, err := ip.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := dataOf(t, rm, "advised").(metricdata.ExponentialHistogram[float64])
	if !ok {
		t.Fatalf("in-process advised histogram is %T, want an exponential histogram", dataOf(t, rm, "advised"))
	}
	if dp := f.DataPoints[0]; dp.Count != 1 || dp.Scale != inProcessHistogramMaxScale {
		t.Errorf("in-process point: count %d scale %d, want 1 at scale %d (MaxScale)", dp.Count, dp.Scale, inProcessHistogramMaxScale)
	}
	if _, ok := dataOf(t, rm, "defaulted").(metricdata.ExponentialHistogram[int64]); !ok {
		t.Errorf("in-process int64 histogram is %T, want an exponential histogram", dataOf(t, rm, "defaulted"))
	}
	if _, ok := dataOf(t, rm, "calls").(metricdata.Sum[int64]); !ok {
		t.Errorf("in-process counter is %T, want a Sum", dataOf(t, rm, "calls"))
	}

	var out metricdata.ResourceMetrics
	if err := exported.Collect(ctx, &out); err != nil {
		t.Fatal(err)
	}
	e, ok := dataOf(t, out, "advised").(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("exported advised histogram is %T, want explicit buckets", dataOf(t, out, "advised"))
	}
	if got := e.DataPoints[0].Bounds; len(got) != 6 || got[5] != 30 {
		t.Errorf("exported bounds = %v, want the advised 0.001 … 30", got)
	}
	d, ok := dataOf(t, out, "defaulted").(metricdata.Histogram[int64])
	if !ok {
		t.Fatalf("exported defaulted histogram is %T, want explicit buckets", dataOf(t, out, "defaulted"))
	}
	if got, want := d.DataPoints[0].Bounds, bucketsFor("ms"); len(got) != len(want) || got[0] != want[0] {
		t.Errorf("exported defaulted bounds = %v, want the duration buckets in ms %v", got, want)
	}
}

// TestInProcessAggregation: the selector picks exponential histograms
// for histogram instruments only, with the documented MaxSize.
func TestInProcessAggregation(t *testing.T) {
	a, ok := InProcessAggregation(sdkmetric.InstrumentKindHistogram).(sdkmetric.AggregationBase2ExponentialHistogram)
	if !ok || a.MaxSize != 160 || a.MaxScale != 4 {
		t.Errorf("histogram aggregation = %#v", InProcessAggregation(sdkmetric.InstrumentKindHistogram))
	}
	for _, k := range []sdkmetric.InstrumentKind{sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindGauge,
		sdkmetric.InstrumentKindUpDownCounter, sdkmetric.InstrumentKindObservableGauge} {
		if got, want := InProcessAggregation(k), sdkmetric.DefaultAggregationSelector(k); got != want {
			t.Errorf("kind %v: %#v, want the default %#v", k, got, want)
		}
	}
}
