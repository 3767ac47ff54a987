package exporters

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/clock"
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
	fc := clock.NewFake(time.Unix(1_800_000_000, 0))
	ip, err := NewInProcess(WithClock(fc), WithCacheTTL(time.Second))
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
	fc.Advance(999 * time.Millisecond)
	if rm, _ := ip.Collect(ctx); sumValue(t, rm, "bets") != 1 {
		t.Fatal("collected again within the TTL")
	}
	fc.Advance(time.Millisecond)
	if rm, _ := ip.Collect(ctx); sumValue(t, rm, "bets") != 2 {
		t.Fatal("stale after the TTL")
	}
}

// TestInProcessCoalesces: many concurrent readers, one collection (the
// observable callback counts collections).
func TestInProcessCoalesces(t *testing.T) {
	fc := clock.NewFake(time.Unix(1_800_000_000, 0))
	ip, _ := NewInProcess(WithClock(fc))
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
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
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
