package instrument

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
)

// standalone returns a dependency with no Monitor, on a no-op provider.
func standalone(t testing.TB) *Dependency {
	t.Helper()
	d, err := NewDependency(KindPayment, "psp", WithMeterProvider(noop.NewMeterProvider()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// trackFor tracks one call that takes lat and returns err.
func trackFor(d *Dependency, lat time.Duration, err error) {
	_ = d.Track(context.Background(), "deposit", func(context.Context) error {
		time.Sleep(lat) // the bubble's clock: instant
		return err
	})
}

// TestStandalonePassiveHealthJudgesItsOwnWindow: without a Monitor, a
// dependency counts its calls in its own 30 s window: Stats, HealthCheck
// and Health see an outage at the next 5 s boundary, with the traffic
// rule's reason, and forget it once the window has moved past it.
func TestStandalonePassiveHealthJudgesItsOwnWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := standalone(t)
		if h := d.Health(); h.State != checks.StatusUnknown {
			t.Fatalf("before any call: %+v", h)
		}
		for i := range 40 {
			var err error
			if i%4 != 0 { // 30 of 40 fail
				err = errors.New("502 from the PSP")
			}
			trackFor(d, 100*time.Millisecond, err)
		}
		trackFor(d, time.Millisecond, Declined(errors.New("card declined")))
		trackFor(d, time.Millisecond, context.Canceled) // says nothing about the provider
		// The calls took 4.2 s; they count once their slot has closed.
		time.Sleep(slotLength)
		st := d.Stats()
		if st.Calls != 41 || st.Failures != 30 || st.Declined != 1 || st.Window != 30*time.Second {
			t.Fatalf("Stats %+v, want 41 calls, 30 failures, 1 declined over 30s", st)
		}
		if math.Abs(st.ErrorRate-30.0/41) > 1e-9 {
			t.Fatalf("error rate %v", st.ErrorRate)
		}
		h := d.Health()
		if h.State != checks.StatusFail || h.Signal != "traffic" || h.Reason != "73 % of 41 calls failed over 30 s" || h.Since.IsZero() {
			t.Fatalf("Health %+v", h)
		}
		c, err := d.HealthCheck()
		if err != nil {
			t.Fatal(err)
		}
		if o := checkstest.Run(context.Background(), c); o.Status != checks.StatusFail || !errors.Is(o.Err, errHighErrorRate) {
			t.Fatalf("HealthCheck: %v %v", o.Status, o.Err)
		}

		// The outage leaves the window 30 s after its last slot closed.
		time.Sleep(windowSlots * slotLength)
		if st := d.Stats(); st.Calls != 0 {
			t.Fatalf("after the window: %+v", st)
		}
		if h := d.Health(); h.State != checks.StatusUnknown {
			t.Fatalf("Health after the window %+v", h)
		}
	})
}

// TestStandaloneHealthSinceIsWhenTheStateBegan: the verdict is computed
// once per boundary; Since stays at the boundary where the state began.
func TestStandaloneHealthSinceIsWhenTheStateBegan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := standalone(t)
		for range 25 {
			trackFor(d, 10*time.Millisecond, nil)
		}
		time.Sleep(slotLength)
		first := d.Health()
		if first.State != checks.StatusPass {
			t.Fatalf("first %+v", first)
		}
		for range 25 {
			trackFor(d, 10*time.Millisecond, nil)
		}
		time.Sleep(slotLength)
		later := d.Health()
		if later.State != checks.StatusPass || !later.Since.Equal(first.Since) || !later.At.After(first.At) {
			t.Fatalf("later %+v, first %+v", later, first)
		}
	})
}

// TestStandaloneQuantilesAreAccurate: p50/p95/p99 of a known latency
// distribution are within the histogram's 4.4 % of the truth.
func TestStandaloneQuantilesAreAccurate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := standalone(t)
		// 1000 calls of 1 ms .. 1000 ms: the q-quantile is q × 1 s.
		for i := 1; i <= 1000; i++ {
			d.win.record(time.Now(), time.Duration(i)*time.Millisecond, OutcomeSuccess)
		}
		time.Sleep(slotLength)
		st := d.Stats()
		for _, tc := range []struct {
			name      string
			got, want time.Duration
		}{
			{"p50", st.P50, 500 * time.Millisecond},
			{"p95", st.P95, 950 * time.Millisecond},
			{"p99", st.P99, 990 * time.Millisecond},
		} {
			if rel := math.Abs(float64(tc.got-tc.want)) / float64(tc.want); rel > 0.045 {
				t.Errorf("%s = %v, want %v within 4.5%% (off by %.1f%%)", tc.name, tc.got, tc.want, rel*100)
			}
		}
	})
}

// TestStandaloneWindowEdgesAreBounded: latencies below and above the
// histogram's range land in its end buckets, not out of range.
func TestStandaloneWindowEdgesAreBounded(t *testing.T) {
	for _, lat := range []time.Duration{0, -time.Second, time.Nanosecond, time.Hour, math.MaxInt64} {
		if b := latencyBucket(lat); b < 0 || b >= latencyBuckets {
			t.Errorf("latencyBucket(%v) = %d, out of [0, %d)", lat, b, latencyBuckets)
		}
	}
}

// TestMonitorDependencyHasNoWindow: a dependency a Monitor watches keeps
// no window of its own (its figures are the engine's), so it pays nothing
// for one.
func TestMonitorDependencyHasNoWindow(t *testing.T) {
	m, _ := newRig(t)
	if d := mustDep(t, m, KindPayment, "psp"); d.win != nil {
		t.Fatal("a Monitor's dependency has a standalone window")
	}
}

// BenchmarkTrackStandalone: Track on a standalone dependency (metrics and
// its own window) against the same dependency under a Monitor (metrics
// only) and the raw-OTel floor, in one run:
//
//	go test -run '^$' -bench 'Track$|TrackStandalone|FloorTrack$' -count=3 ./instrument/
func BenchmarkTrackStandalone(b *testing.B) {
	r, _ := newRig(b) // the same SDK provider as benchDep's, without the Monitor's hook
	d, err := NewDependency(KindPayment, "psp", WithMeterProvider(r.mp))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	_ = d.Track(ctx, "deposit", nop)
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Track(ctx, "deposit", nop)
	}
}
