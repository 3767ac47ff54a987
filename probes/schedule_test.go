package probes

import (
	"context"
	"math"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"sync"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// scheduleHist collects rd and returns the one go.schedule.duration point.
func scheduleHist(t *testing.T, rd sdkmetric.Reader) (metricdata.Metrics, metricdata.HistogramDataPoint[float64]) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var found []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "go.schedule.duration" {
				if sm.Scope.Name != scopeName {
					t.Errorf("scope %q, want %q", sm.Scope.Name, scopeName)
				}
				found = append(found, m)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("go.schedule.duration reported %d times, want once", len(found))
	}
	h, ok := found[0].Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("data is %T, want Histogram[float64]", found[0].Data)
	}
	if h.Temporality != metricdata.CumulativeTemporality || len(h.DataPoints) != 1 {
		t.Fatalf("temporality %v with %d points, want one cumulative point", h.Temporality, len(h.DataPoints))
	}
	return found[0], h.DataPoints[0]
}

// contend makes the scheduler queue goroutines: more busy goroutines than
// Ps, each yielding often, so every yield waits behind the others.
func contend() {
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			x := 0
			for i := range 2000 {
				for j := range 200 {
					x += i ^ j
				}
				runtime.Gosched()
			}
			_ = x
		})
	}
	wg.Wait()
}

func TestScheduleDurationCollected(t *testing.T) {
	rd := sdkmetric.NewManualReader(sdkmetric.WithProducer(RuntimeProducer()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })

	m, first := scheduleHist(t, rd)
	contend()
	_, second := scheduleHist(t, rd)

	if m.Unit != "s" || m.Description == "" {
		t.Errorf("unit %q description %q, want unit s and a description", m.Unit, m.Description)
	}
	want := scheduleBoundsCopy()
	if len(want) != 19 || want[0] != 1e-6 || want[len(want)-1] != 1 || !slices.IsSorted(want) {
		t.Errorf("scheduleBounds = %v, want 19 ascending bounds from 1µs to 1s", want)
	}
	for _, dp := range []metricdata.HistogramDataPoint[float64]{first, second} {
		if !slices.Equal(dp.Bounds, want) {
			t.Errorf("bounds %v, want %v", dp.Bounds, want)
		}
		if len(dp.BucketCounts) != len(want)+1 {
			t.Fatalf("%d bucket counts for %d bounds", len(dp.BucketCounts), len(want))
		}
		var n uint64
		for _, c := range dp.BucketCounts {
			n += c
		}
		if n != dp.Count {
			t.Errorf("buckets add up to %d, Count is %d", n, dp.Count)
		}
		if dp.Attributes.Len() != 0 {
			t.Errorf("attributes %v, want none", dp.Attributes.ToSlice())
		}
		if dp.StartTime.IsZero() || dp.Time.Before(dp.StartTime) {
			t.Errorf("start %v time %v, want start ≤ time", dp.StartTime, dp.Time)
		}
		if _, ok := dp.Min.Value(); ok {
			t.Error("Min is set; the runtime does not know it")
		}
	}
	if !second.StartTime.Equal(first.StartTime) {
		t.Errorf("start time moved from %v to %v; a cumulative series keeps its start", first.StartTime, second.StartTime)
	}
	if second.Count <= first.Count {
		t.Errorf("Count %d then %d after contention, want it to grow", first.Count, second.Count)
	}
	for i := range first.BucketCounts {
		if second.BucketCounts[i] < first.BucketCounts[i] {
			t.Errorf("bucket %d went from %d to %d, cumulative counts never fall", i, first.BucketCounts[i], second.BucketCounts[i])
		}
	}
	if second.Sum <= 0 || second.Sum < first.Sum {
		t.Errorf("Sum %g then %g, want positive and non-decreasing", first.Sum, second.Sum)
	}
	// The estimate stays between the bucket bounds it came from.
	if mean := second.Sum / float64(second.Count); mean <= 0 || mean > 1 {
		t.Errorf("mean latency %gs is not plausible", mean)
	}
}

// TestScheduleProduceDoesNotReuseResult: the in-process reader caches and
// shares a collection, so a later Produce must not write into it.
func TestScheduleProduceDoesNotReuseResult(t *testing.T) {
	p := newScheduleProducer()
	sm, err := p.Produce(context.Background())
	if err != nil || len(sm) != 1 {
		t.Fatalf("Produce = %d scopes, %v", len(sm), err)
	}
	dp := sm[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints[0]
	before := slices.Clone(dp.BucketCounts)
	contend()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := p.Produce(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if !slices.Equal(before, dp.BucketCounts) {
		t.Errorf("an earlier result changed from %v to %v", before, dp.BucketCounts)
	}
}

func TestScheduleFold(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name    string
		lo, hi  float64
		bucket  int
		perItem float64 // value each sample adds to Sum
	}{
		{"below zero", math.Inf(-1), 0, 0, 0},
		{"first linear bucket", 0, 64e-9, 0, 32e-9},
		{"ends at a bound", 768e-9, 1e-6, 0, 884e-9},
		{"straddles 1µs: counted above", 896e-9, 1024e-9, 1, 960e-9},
		{"inside 1ms..2.5ms", 1.25e-3, 1.5e-3, 10, 1.375e-3},
		{"ends at 1s", 0.75, 1, 18, 0.875},
		{"above 1s", 1, 1.25, 19, 1.125},
		{"unbounded last", 140737, inf, 19, 140737},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newScheduleProducer()
			var counts [scheduleBuckets]uint64
			h := &rtmetrics.Float64Histogram{Buckets: []float64{tc.lo, tc.hi}, Counts: []uint64{3}}
			n, sum := p.fold(h, &counts)
			if n != 3 || counts[tc.bucket] != 3 {
				t.Errorf("count %d, buckets %v; want 3 in bucket %d", n, counts, tc.bucket)
			}
			if want := 3 * tc.perItem; math.Abs(sum-want) > 1e-12*max(1, want) {
				t.Errorf("sum %g, want %g", sum, want)
			}
		})
	}
}

// TestScheduleFoldNewEdges: tables built for one set of edges are rebuilt
// when the runtime hands out others.
func TestScheduleFoldNewEdges(t *testing.T) {
	p := newScheduleProducer()
	var c1, c2 [scheduleBuckets]uint64
	p.fold(&rtmetrics.Float64Histogram{Buckets: []float64{0, 1e-6, 2}, Counts: []uint64{1, 1}}, &c1)
	p.fold(&rtmetrics.Float64Histogram{Buckets: []float64{0, 3e-3, 6e-3}, Counts: []uint64{1, 1}}, &c2)
	if c1[0] != 1 || c1[19] != 1 {
		t.Errorf("first edges: %v", c1)
	}
	if c2[11] != 1 || c2[12] != 1 {
		t.Errorf("second edges: %v, want one each in the 5ms and 10ms buckets", c2)
	}
}

// TestScheduleBoundsLoseAtMostOneRuntimeBucket checks the documented
// precision against this Go's real edges: the bucket le=b holds every
// latency below an edge of at least 0.8·b.
func TestScheduleBoundsLoseAtMostOneRuntimeBucket(t *testing.T) {
	s := []rtmetrics.Sample{{Name: schedLatencies}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindFloat64Histogram {
		t.Skip("this Go has no " + schedLatencies)
	}
	edges := s[0].Value.Float64Histogram().Buckets
	for _, b := range scheduleBounds {
		i, _ := slices.BinarySearch(edges, b)
		if i < len(edges) && edges[i] == b {
			continue
		}
		if below := edges[i-1]; below < 0.8*b {
			t.Errorf("bound %g: largest runtime edge below it is %g (< 0.8·b)", b, below)
		}
	}
}

// BenchmarkScheduleRead is the baseline: reading the runtime histogram
// alone, into a reused sample.
func BenchmarkScheduleRead(b *testing.B) {
	s := []rtmetrics.Sample{{Name: schedLatencies}}
	b.ReportAllocs()
	for b.Loop() {
		rtmetrics.Read(s)
	}
}

// BenchmarkScheduleProduce is the read plus folding into the OTel
// histogram and the data the reader keeps.
func BenchmarkScheduleProduce(b *testing.B) {
	p := newScheduleProducer()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Produce(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScheduleCollect is a whole ManualReader collection with the
// producer against the same collection of an empty provider without it:
// what go.schedule.duration adds to every export cycle.
func BenchmarkScheduleCollect(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []sdkmetric.ManualReaderOption
	}{
		{"baseline", nil},
		{"producer", []sdkmetric.ManualReaderOption{sdkmetric.WithProducer(RuntimeProducer())}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rd := sdkmetric.NewManualReader(tc.opts...)
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
			defer mp.Shutdown(context.Background())
			ctx := context.Background()
			var rm metricdata.ResourceMetrics
			b.ReportAllocs()
			for b.Loop() {
				if err := rd.Collect(ctx, &rm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
