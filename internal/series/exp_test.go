package series

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/exporters"
)

// dependencyBuckets is the explicit-bucket advice igmon gives
// igmon.dependency.duration: the in-process reader must not use it.
var dependencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30}

const depDuration = "igmon.dependency.duration"

// sdkHarness records through a real MeterProvider whose reader is igmon's
// in-process reader (exponential histograms), and ingests one collection
// per step, 15 s apart, into a store selecting depDuration over 1m and 5m
// split by attribute s.
type sdkHarness struct {
	t    testing.TB
	src  Source
	mp   *sdkmetric.MeterProvider
	hist metric.Float64Histogram
	st   *Store
	sel  *Selection
	now  time.Time
	rm   metricdata.ResourceMetrics
}

func newSDKHarness(t testing.TB, by []attribute.Key, reader sdkmetric.Reader, src Source) *sdkHarness {
	t.Helper()
	if reader == nil {
		ip, err := exporters.NewInProcess(exporters.WithCacheTTL(0))
		if err != nil {
			t.Fatal(err)
		}
		reader = ip.Reader()
		src = sourceFunc(func(ctx context.Context, rm *metricdata.ResourceMetrics) error {
			got, err := ip.Collect(ctx)
			*rm = got
			return err
		})
	}
	h := &sdkHarness{t: t, src: src, st: NewStore(32, 100000), now: t0}
	h.setProvider(reader)
	sel, err := h.st.Select(depDuration, "all", matchAll{}, h.st.Grouping(by), time.Minute, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	h.sel = sel
	return h
}

// sourceFunc adapts a function to Source.
type sourceFunc func(context.Context, *metricdata.ResourceMetrics) error

func (f sourceFunc) Collect(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return f(ctx, rm)
}

// setProvider records into a new MeterProvider over reader from now on,
// as a restarted process would.
func (h *sdkHarness) setProvider(reader sdkmetric.Reader) {
	h.t.Helper()
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithView(exporters.ExemplarView()))
	mp := h.mp
	h.t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	hist, err := exporters.BucketAdvice(h.mp).Meter("t").Float64Histogram(depDuration, metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(dependencyBuckets...))
	if err != nil {
		h.t.Fatal(err)
	}
	h.hist = hist
}

func (h *sdkHarness) record(s string, v float64, n int) {
	a := metric.WithAttributeSet(attribute.NewSet(attribute.String("s", s)))
	for range n {
		h.hist.Record(context.Background(), v, a)
	}
}

// step collects and ingests at the current time, then advances 15 s.
func (h *sdkHarness) step() {
	h.t.Helper()
	if err := h.src.Collect(context.Background(), &h.rm); err != nil {
		h.t.Fatal(err)
	}
	h.st.Ingest(&h.rm, h.now.UnixNano())
	h.now = h.now.Add(15 * time.Second)
}

// hist returns group s's histogram over w, failing unless it is an
// exponential one.
func (h *sdkHarness) histOf(s string, w time.Duration) *Hist {
	h.t.Helper()
	hs := h.sel.Histograms(w, h.st.Seq())
	g, ok := h.groupOf(s)
	if !ok || hs.Hist[g].Empty() {
		h.t.Fatalf("group %q has no histogram over %v", s, w)
	}
	if !hs.Hist[g].Exp {
		h.t.Fatalf("group %q is read from explicit buckets %v: the in-process reader's advice leaked in", s, hs.Hist[g].Bounds)
	}
	return &hs.Hist[g]
}

func (h *sdkHarness) groupOf(s string) (int32, bool) {
	gr := h.sel.Grouping()
	for g := range gr.Len() {
		if len(gr.by) == 0 || gr.Labels(g)["s"] == s {
			return int32(g), true
		}
	}
	return 0, false
}

// increase is element 0 of group s over w: the count increase rules read.
func (h *sdkHarness) increase(s string, w time.Duration) float64 {
	g, _ := h.groupOf(s)
	return h.sel.Increases(w, h.st.Seq()).Sum[g]
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / want }

// TestExpConstantLatencyP95: a constant 1.5 s latency, recorded through
// an instrument that advises the dependency buckets (which put 1.5 s in
// (1, 2.5] and read p95 as 2.39 s), reads p95 ≈ 1.5 s.
func TestExpConstantLatencyP95(t *testing.T) {
	h := newSDKHarness(t, []attribute.Key{"s"}, nil, nil)
	h.step()
	for range 8 {
		h.record("a", 1.5, 50)
		h.step()
	}
	hist := h.histOf("a", 5*time.Minute)
	if got := hist.Total(); got != 400 {
		t.Fatalf("total = %v, want 400", got)
	}
	for _, q := range []float64{0.5, 0.95, 0.99} {
		got := hist.Quantile(q)
		t.Logf("p%v = %.6f (error %.3f%%)", q*100, got, 100*relErr(got, 1.5))
		if relErr(got, 1.5) > 0.05 {
			t.Errorf("p%v = %v, want within 5%% of 1.5", q*100, got)
		}
	}
	// Without the sum (interpolating inside the bucket alone) the
	// estimate still lies inside 1.5's bucket, within 4.4%.
	bare := *hist
	bare.Sum = 0
	got := bare.Quantile(0.95)
	t.Logf("p95 interpolated without the sum = %.6f (error %.3f%%)", got, 100*relErr(got, 1.5))
	if relErr(got, 1.5) > 0.045 {
		t.Errorf("interpolated p95 = %v, want within 4.5%% of 1.5", got)
	}
	// An SLO threshold either side of 1.5 s counts none or all of them.
	if below, above := hist.CountAtOrBelow(1.4), hist.CountAtOrBelow(1.6); below != 0 || above != 400 {
		t.Errorf("CountAtOrBelow(1.4) = %v, (1.6) = %v; want 0 and 400", below, above)
	}
}

// TestExpLogNormalP95: a log-normal sample's p95 read from the store is
// within 5% of the sample's exact p95.
func TestExpLogNormalP95(t *testing.T) {
	h := newSDKHarness(t, []attribute.Key{"s"}, nil, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	sample := make([]float64, n)
	for i := range sample {
		sample[i] = math.Exp(math.Log(0.2) + 0.6*rng.NormFloat64())
	}
	h.step()
	for c := range 4 { // over four collections
		for _, v := range sample[c*n/4 : (c+1)*n/4] {
			h.record("a", v, 1)
		}
		h.step()
	}
	sorted := slices.Clone(sample)
	slices.Sort(sorted)
	hist := h.histOf("a", 5*time.Minute)
	if got := hist.Total(); got != n {
		t.Fatalf("total = %v, want %d", got, n)
	}
	for _, q := range []float64{0.5, 0.95, 0.99} {
		want := sorted[int(math.Ceil(q*n))-1]
		got := hist.Quantile(q)
		t.Logf("p%v = %.6f, exact %.6f (error %.3f%%, scale %d)", q*100, got, want, 100*relErr(got, want), hist.Scale)
		if relErr(got, want) > 0.05 {
			t.Errorf("p%v = %v, want within 5%% of the sample's %v", q*100, got, want)
		}
	}
	// The SLO reading: the share above 0.5 s.
	wantAbove := float64(n - sort.Search(n, func(i int) bool { return sorted[i] > 0.5 }))
	gotAbove := hist.Total() - hist.CountAtOrBelow(0.5)
	t.Logf("above 0.5 s: %v, exact %v", gotAbove, wantAbove)
	if math.Abs(gotAbove-wantAbove) > 0.05*wantAbove {
		t.Errorf("observations above 0.5 s = %v, want within 5%% of %v", gotAbove, wantAbove)
	}
}

// TestExpWindows: a minute at 50 ms then a minute at 1.5 s. The 1-minute
// window sees only the slow minute; the 5-minute one both.
func TestExpWindows(t *testing.T) {
	h := newSDKHarness(t, []attribute.Key{"s"}, nil, nil)
	h.step()
	for range 4 {
		h.record("a", 0.05, 100)
		h.step()
	}
	for range 4 {
		h.record("a", 1.5, 100)
		h.step()
	}
	short, long := h.histOf("a", time.Minute), h.histOf("a", 5*time.Minute)
	if short.Total() != 400 || long.Total() != 800 {
		t.Fatalf("totals: 1m %v, 5m %v; want 400 and 800", short.Total(), long.Total())
	}
	checks := []struct {
		name      string
		h         *Hist
		q, want   float64
		tolerance float64
	}{
		{"1m p95", short, 0.95, 1.5, 0.05},
		{"1m p5", short, 0.05, 1.5, 0.05},
		{"5m p95", long, 0.95, 1.5, 0.05},
		{"5m p25", long, 0.25, 0.05, 0.05},
	}
	for _, c := range checks {
		got := c.h.Quantile(c.q)
		t.Logf("%s = %.6f (error %.3f%%)", c.name, got, 100*relErr(got, c.want))
		if relErr(got, c.want) > c.tolerance {
			t.Errorf("%s = %v, want within 5%% of %v", c.name, got, c.want)
		}
	}
	if got := long.CountAtOrBelow(0.5); got != 400 {
		t.Errorf("5m count at or below 0.5 s = %v, want the 400 fast ones", got)
	}
}

// TestExpSDKDownscaleKeepsWindowsExact: tiny values then huge ones make
// the SDK merge its buckets down a few scales mid-stream; the store
// re-bins its history, and every window's total still equals the
// recordings inside it, cycle after cycle.
func TestExpSDKDownscaleKeepsWindowsExact(t *testing.T) {
	h := newSDKHarness(t, []attribute.Key{"s"}, nil, nil)
	type batch struct {
		at    time.Time // the ingest that first saw it
		n     int
		small bool // below 1 s
	}
	var batches []batch
	h.step()
	scales := map[int32]bool{}
	for c := range 40 {
		v, n := 1e-6*float64(1+c%3), 7
		if c >= 12 {
			v, n = 1e6*float64(1+c%5), 11
		}
		if c >= 30 {
			v, n = 0.3, 5
		}
		h.record("a", v, n)
		batches = append(batches, batch{h.now, n, v < 1})
		h.step()
		last := h.now.Add(-15 * time.Second)
		for _, w := range []time.Duration{time.Minute, 5 * time.Minute} {
			want, small := 0, 0
			for _, b := range batches {
				if b.at.After(last.Add(-w)) {
					want += b.n
					if b.small {
						small += b.n
					}
				}
			}
			hist := h.histOf("a", w)
			scales[hist.Scale] = true
			if got := hist.Total(); got != float64(want) {
				t.Fatalf("cycle %d, window %v: total %v, want %d recordings (scale %d)", c, w, got, want, hist.Scale)
			}
			// 1 s is a bucket bound at every scale ≤ 4: the count below it
			// is exact too, so every bucket was re-binned, not just the sum.
			if got := hist.CountAtOrBelow(1); got != float64(small) {
				t.Fatalf("cycle %d, window %v: %v at or below 1 s, want %d (scale %d, counts %v)", c, w, got, small, hist.Scale, hist.Counts)
			}
			for i, n := range hist.Counts {
				if n < 0 {
					t.Fatalf("cycle %d, window %v: bucket %d holds %v", c, w, hist.Offset+int64(i), n)
				}
			}
			if got := h.increase("a", w); got != float64(want) {
				t.Fatalf("cycle %d, window %v: count increase %v, want %d", c, w, got, want)
			}
		}
	}
	t.Logf("downscale: scales %v, last 1m p95 %.6f", scales, h.histOf("a", time.Minute).Quantile(0.95))
	if !scales[4] || len(scales) < 2 {
		t.Fatalf("scales seen %v: the stream never started at the stored cap (4) and then merged down", scales)
	}
	// The last minute holds only 0.3 s, in one bucket of the coarse
	// scale: the window's mean places it (the 5-minute window still holds
	// huge values).
	if got := h.histOf("a", time.Minute).Quantile(0.95); relErr(got, 0.3) > 0.05 {
		t.Errorf("1m p95 after the downscale = %v, want within 5%% of 0.3", got)
	}
}

// deltaReader is an in-process-like reader with delta temporality.
func deltaReader() *sdkmetric.ManualReader {
	return sdkmetric.NewManualReader(sdkmetric.WithAggregationSelector(exporters.InProcessAggregation),
		sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality {
			return metricdata.DeltaTemporality
		}))
}

// TestExpDeltaTemporality: delta points (each collection restarts the
// SDK's histogram, at the finest scale again) add up to the same windows.
func TestExpDeltaTemporality(t *testing.T) {
	r := deltaReader()
	h := newSDKHarness(t, []attribute.Key{"s"}, r, r)
	h.step()
	for range 4 {
		h.record("a", 0.05, 100)
		h.step()
	}
	for c := range 4 {
		h.record("a", 1.5, 100)
		if c == 0 {
			h.record("a", 1e-5, 1) // one point at a coarser scale
		}
		h.step()
	}
	short, long := h.histOf("a", time.Minute), h.histOf("a", 5*time.Minute)
	if short.Total() != 401 || long.Total() != 801 {
		t.Fatalf("totals: 1m %v, 5m %v; want 401 and 801", short.Total(), long.Total())
	}
	t.Logf("delta: 1m p95 = %.6f (error %.3f%%), 5m p25 = %.6f (error %.3f%%), scale %d", short.Quantile(0.95),
		100*relErr(short.Quantile(0.95), 1.5), long.Quantile(0.25), 100*relErr(long.Quantile(0.25), 0.05), long.Scale)
	if got := short.Quantile(0.95); relErr(got, 1.5) > 0.05 {
		t.Errorf("1m p95 = %v, want within 5%% of 1.5", got)
	}
	if got := long.Quantile(0.25); relErr(got, 0.05) > 0.05 {
		t.Errorf("5m p25 = %v, want within 5%% of 0.05", got)
	}
	if got := h.increase("a", 5*time.Minute); got != 801 {
		t.Errorf("5m count increase = %v, want 801", got)
	}
}

// TestExpCounterReset: the process restarts (a new MeterProvider: new
// start time, counts from zero, another scale); the window adds what was
// recorded before and after the restart.
func TestExpCounterReset(t *testing.T) {
	r := sdkmetric.NewManualReader(sdkmetric.WithAggregationSelector(exporters.InProcessAggregation))
	var cur *sdkmetric.ManualReader = r
	src := sourceFunc(func(ctx context.Context, rm *metricdata.ResourceMetrics) error { return cur.Collect(ctx, rm) })
	h := newSDKHarness(t, []attribute.Key{"s"}, r, src)
	h.step()
	for range 4 {
		h.record("a", 1.5, 100)
		h.record("a", 2, 10)
		h.step()
	}
	cur = sdkmetric.NewManualReader(sdkmetric.WithAggregationSelector(exporters.InProcessAggregation))
	h.setProvider(cur)
	// More than before the restart: only the new start time tells.
	h.record("a", 1.5, 500)
	h.step()
	h.record("a", 1.5, 20)
	h.step()
	long := h.histOf("a", 5*time.Minute)
	if got := long.Total(); got != 440+520 {
		t.Fatalf("5m total across the restart = %v, want 960", got)
	}
	if got := h.histOf("a", time.Minute).Total(); got != 2*110+520 {
		t.Fatalf("1m total = %v, want 740 (two cycles before the restart, two after)", got)
	}
	t.Logf("restart: 5m p50 = %.6f (error %.3f%%)", long.Quantile(0.5), 100*relErr(long.Quantile(0.5), 1.5))
	if got := long.Quantile(0.5); relErr(got, 1.5) > 0.05 {
		t.Errorf("5m p50 = %v, want within 5%% of 1.5", got)
	}
	if got := long.CountAtOrBelow(1.9); got != 400+520 {
		t.Errorf("5m count at or below 1.9 = %v, want 920", got)
	}
	// Fewer than before: the count drops.
	cur = sdkmetric.NewManualReader(sdkmetric.WithAggregationSelector(exporters.InProcessAggregation))
	h.setProvider(cur)
	h.record("a", 2, 7)
	h.step()
	if got := h.histOf("a", time.Minute).Total(); got != 110+520+7 {
		t.Fatalf("1m total after a second restart = %v, want 637", got)
	}
}

// TestExpRegridKeepsFirstSnapshot: a series whose layout changes (here
// from explicit buckets to exponential ones, as after a restart with
// another aggregation) between two shared snapshots is compared with its
// own first snapshot for a while; a re-binning in between must re-bin
// that one too. Every cycle records as many observations below 1 s as
// above it, so whatever base a window uses, half its total lies at or
// below 1 s (a bucket bound at every scale).
func TestExpRegridKeepsFirstSnapshot(t *testing.T) {
	h := newSDKHarness(t, []attribute.Key{"s"}, nil, nil)
	st := NewStore(8, 100) // snapshots 10 s apart for 1m: not every 4 s cycle
	sel, err := st.Select(depDuration, "all", matchAll{}, st.Grouping([]attribute.Key{"s"}), time.Minute, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	h.st, h.sel = st, sel
	explicit := histOf(depDuration, map[string][]uint64{"a": {1, 1}}, map[string][]float64{"a": {1}})
	now := t0
	step := func() {
		if now.Before(t0.Add(8 * time.Second)) {
			h.rm = metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{explicit}}}}
		} else if err := h.src.Collect(context.Background(), &h.rm); err != nil {
			t.Fatal(err)
		}
		st.Ingest(&h.rm, now.UnixNano())
		now = now.Add(4 * time.Second)
	}
	step() // t=0: a shared snapshot
	step() // t=4: none; at t=8 the series turns exponential, none either
	seenUsed := false
	for c := range 40 {
		h.record("a", 0.1, 3)
		h.record("a", 10, 3)
		if c == 5 {
			h.record("a", 1e-6, 1)
			h.record("a", 1e6, 1)
		}
		step()
		for _, w := range []time.Duration{time.Minute, 5 * time.Minute} {
			hist := h.histOf("a", w)
			if got, half := hist.CountAtOrBelow(1), hist.Total()/2; got != half {
				t.Fatalf("cycle %d, window %v: %v at or below 1 s of %v (scale %d, counts %v)", c, w, got, hist.Total(), hist.Scale, hist.Counts)
			}
			if slices.ContainsFunc(hist.Counts, func(n float64) bool { return n < 0 }) {
				t.Fatalf("cycle %d, window %v: a negative bucket count (scale %d, counts %v)", c, w, hist.Scale, hist.Counts)
			}
		}
		// The 1-minute window reads the series' own first snapshot when
		// the newest shared one at or before its start predates the
		// series' layout.
		m := st.metrics[depDuration]
		s := m.slots[0]
		from := now.Add(-4*time.Second - time.Minute).UnixNano()
		tl := &m.lines[m.windowIndex(time.Minute)]
		if za, fa := m.zeroAt[s.slot], m.firstAt[s.slot]; za < from && fa <= from && tl.base < m.born[int(s.slot)*len(m.windows)] {
			seenUsed = true
		}
	}
	if !seenUsed {
		t.Fatal("no window ever read the series' first snapshot: the test no longer covers it")
	}
}

// TestExpGroupMixedScales: two members of one group at different scales
// (a narrow one stored at the cap, a wide one the SDK merged down) sum
// at the coarser scale, bucket by bucket.
func TestExpGroupMixedScales(t *testing.T) {
	h := newSDKHarness(t, nil, nil, nil)
	h.step()
	h.record("narrow", 0.5, 100)
	h.record("wide", 1e-6, 50)
	h.record("wide", 1e6, 50)
	h.step()
	m := h.st.metrics[depDuration]
	scales := map[string]int32{}
	for _, s := range m.slots {
		v, _ := s.attrs.Value("s")
		scales[v.AsString()] = s.expScale
	}
	if scales["narrow"] != expMaxScale || scales["wide"] >= scales["narrow"] {
		t.Fatalf("member scales %v: want narrow at %d and wide coarser", scales, expMaxScale)
	}
	hist := h.histOf("", 5*time.Minute)
	if hist.Scale != scales["wide"] || hist.Total() != 200 {
		t.Fatalf("group at scale %d with total %v, want scale %d and 200", hist.Scale, hist.Total(), scales["wide"])
	}
	// Bucket by bucket: 0.5 = 2^-1 is the upper bound of its bucket at
	// any scale ≥ 0, index -2^scale - 1.
	idx := func(v float64) int64 {
		return int64(math.Ceil(math.Ldexp(math.Log2(v), int(hist.Scale)))) - 1
	}
	want := map[int64]float64{idx(1e-6): 50, idx(0.5): 100, idx(1e6): 50}
	for i, c := range hist.Counts {
		if c != want[hist.Offset+int64(i)] {
			t.Errorf("bucket %d: %v, want %v", hist.Offset+int64(i), c, want[hist.Offset+int64(i)])
		}
	}
	lo, hi := expBound(hist.Scale, float64(idx(0.5))), 0.5
	t.Logf("mixed scales %v: group at scale %d, p50 %.6f in (%.6f, %.6f]", scales, hist.Scale, hist.Quantile(0.5), lo, hi)
	if got := hist.Quantile(0.5); got <= lo || got > hi {
		t.Errorf("p50 = %v, want inside 0.5's bucket (%v, %v]", got, lo, hi)
	}
}

// TestExpScriptedMerge: members written as data points at scales 4 and 1
// merge exactly (index >> 3), explicit members of the same metric are
// left out of an exponential group, and negative observations count as
// zeros.
func TestExpScriptedMerge(t *testing.T) {
	h := newHarness(t, 100000, "lat")
	sel, err := h.st.Select("lat", "one", matchAll{}, h.st.Grouping(nil), 5*time.Minute) // one group
	if err != nil {
		t.Fatal(err)
	}
	h.sel = sel
	h.step() // baseline
	exp := func(s string, scale, off int32, zero uint64, neg []uint64, counts ...uint64) metricdata.ExponentialHistogramDataPoint[float64] {
		n := zero
		for _, c := range append(slices.Clone(counts), neg...) {
			n += c
		}
		return metricdata.ExponentialHistogramDataPoint[float64]{Attributes: attribute.NewSet(attribute.String("s", s)),
			Count: n, Scale: scale, ZeroCount: zero, PositiveBucket: metricdata.ExponentialBucket{Offset: off, Counts: counts},
			NegativeBucket: metricdata.ExponentialBucket{Counts: neg}}
	}
	h.src.set(metricdata.Metrics{Name: "lat", Data: metricdata.ExponentialHistogram[float64]{
		Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.ExponentialHistogramDataPoint[float64]{
			exp("fine", 4, 10, 0, nil, 1, 2, 3, 4, 5, 6, 7, 8, 9), // indexes 10..18 → 1, 1, 2 at scale 1
			exp("coarse", 1, 1, 2, []uint64{3}, 100, 0, 200),      // indexes 1, 3
		}}})
	h.step()
	got := h.sel.Histograms(5*time.Minute, h.st.Seq()).Hist[0]
	if !got.Exp || got.Scale != 1 || got.Offset != 1 || got.Zero != 5 {
		t.Fatalf("group: exp %v scale %d offset %d zero %v; want exp, scale 1, offset 1, zero 5 (2 zeros, 3 negatives)",
			got.Exp, got.Scale, got.Offset, got.Zero)
	}
	// fine at scale 1: 10,11,12,13,14,15 → 1 (sum 21); 16,17,18 → 2 (24).
	if want := []float64{121, 24, 200}; !slices.Equal(got.Counts, want) {
		t.Fatalf("counts %v, want %v", got.Counts, want)
	}
	if got.Total() != 350 {
		t.Fatalf("total %v, want 350", got.Total())
	}
}

// FuzzExpIngest feeds arbitrary exponential points (scales, offsets,
// counts, zeros, negatives, resets, delta or cumulative) for a few series
// into a store: it must never panic, and every window's histogram total
// must equal the count increase rules read.
func FuzzExpIngest(f *testing.F) {
	f.Add([]byte{20, 0, 0, 3, 1, 2, 3, 4, 0, 2, 5, 5})
	f.Add([]byte{4, 128, 7, 2, 1, 1, 250, 10, 2, 9, 9, 1, 0, 0, 255, 255, 3, 3})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23})
	f.Fuzz(fuzzExpIngest)
}

// fuzzExpIngest is FuzzExpIngest's body.
func fuzzExpIngest(t *testing.T, data []byte) {
	st := NewStore(8, 100)
	sel, err := st.Select("lat", "all", matchAll{}, st.Grouping([]attribute.Key{"s"}), time.Minute, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	now := t0
	starts := map[string]time.Time{}
	for step := 0; len(data) > 0 && step < 64; step++ {
		var dps []metricdata.ExponentialHistogramDataPoint[int64]
		delta := next()%4 == 0
		for range next()%3 + 1 {
			s := string(rune('a' + next()%3))
			scale := int32(next()%34) - 12 // a few invalid ones too
			off := int32(int8(next())) * int32(1+next()%4) * int32(1<<uint(next()%24))
			counts := make([]uint64, next()%12)
			n := uint64(0)
			for i := range counts {
				counts[i] = uint64(next() % 7)
				n += counts[i]
			}
			zero, neg := uint64(next()%3), uint64(next()%2)
			n += zero + neg
			if next()%5 == 0 {
				starts[s] = now // a restart
			}
			dps = append(dps, metricdata.ExponentialHistogramDataPoint[int64]{Attributes: attribute.NewSet(attribute.String("s", s)),
				StartTime: starts[s], Count: n, Scale: scale, ZeroCount: zero,
				PositiveBucket: metricdata.ExponentialBucket{Offset: off, Counts: counts},
				NegativeBucket: metricdata.ExponentialBucket{Counts: []uint64{neg}}})
		}
		tm := metricdata.CumulativeTemporality
		if delta {
			tm = metricdata.DeltaTemporality
		}
		rm := metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
			Name: "lat", Data: metricdata.ExponentialHistogram[int64]{Temporality: tm, DataPoints: dps}}}}}}
		st.Ingest(&rm, now.UnixNano())
		now = now.Add(time.Duration(1+next()%30) * time.Second)
		for _, w := range []time.Duration{time.Minute, 5 * time.Minute} {
			hs, sums := sel.Histograms(w, st.Seq()), sel.Increases(w, st.Seq())
			for g := range hs.Hist {
				hist := &hs.Hist[g]
				if hist.Empty() {
					continue
				}
				if got, want := hist.Total(), sums.Sum[g]; got != want {
					t.Fatalf("step %d window %v group %d: histogram total %v, count increase %v", step, w, g, got, want)
				}
				if len(hist.Counts) > expMaxGroupBuckets {
					t.Fatalf("group histogram of %d buckets", len(hist.Counts))
				}
				_ = hist.Quantile(0.95)
				_ = hist.CountAtOrBelow(0.5)
			}
		}
	}
	for _, m := range st.metrics {
		for _, s := range m.slots {
			if s != nil && s.width-3 > expMaxBuckets {
				t.Fatalf("series stores %d buckets, over the cap %d", s.width-3, expMaxBuckets)
			}
		}
	}
}

// TestExpStoreCapsScale: a reader aggregating at the SDK's finest scale
// (a user's own, not the in-process one) is stored at scale 4; the
// in-process reader aggregates at that scale and at the store's bucket
// bound in the first place.
func TestExpStoreCapsScale(t *testing.T) {
	r := sdkmetric.NewManualReader(sdkmetric.WithAggregationSelector(func(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
		return sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}
	}))
	h := newSDKHarness(t, []attribute.Key{"s"}, r, r)
	h.step()
	h.record("a", 1.5, 10)
	h.record("a", 1.52, 10)
	h.step()
	if ps := h.rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.ExponentialHistogram[float64]).DataPoints[0].Scale; ps <= expMaxScale {
		t.Fatalf("the SDK aggregated at scale %d: the test no longer merges a finer scale down", ps)
	}
	hist := h.histOf("a", 5*time.Minute)
	if hist.Scale != expMaxScale || hist.Total() != 20 {
		t.Fatalf("stored at scale %d with total %v, want scale %d and 20", hist.Scale, hist.Total(), expMaxScale)
	}
	if got := hist.Quantile(0.95); relErr(got, 1.51) > 0.01 {
		t.Errorf("p95 = %v, want the mean 1.51 (both values share a bucket at scale 4)", got)
	}
	a, ok := exporters.InProcessAggregation(sdkmetric.InstrumentKindHistogram).(sdkmetric.AggregationBase2ExponentialHistogram)
	if !ok || a.MaxScale != expMaxScale || a.MaxSize != expMaxBuckets {
		t.Errorf("in-process aggregation %#v, want MaxScale %d and MaxSize %d like the store", a, expMaxScale, expMaxBuckets)
	}
}

// TestExpQuantileMath: interpolation inside base-2 buckets (linear in log
// space), the zero bucket, the single-bucket mean and CountAtOrBelow.
func TestExpQuantileMath(t *testing.T) {
	cases := []struct {
		name string
		h    Hist
		q    float64
		want float64
	}{
		{"middle of (1, 2]", Hist{Exp: true, Counts: []float64{10}}, 0.5, math.Sqrt2},
		{"middle of (2, 4]", Hist{Exp: true, Counts: []float64{10, 10}}, 0.75, 2 * math.Sqrt2},
		{"end of (1, 2]", Hist{Exp: true, Counts: []float64{10, 10}}, 0.5, 2},
		{"scale 1, offset -2: (0.5, 0.707]", Hist{Exp: true, Scale: 1, Offset: -2, Counts: []float64{4}}, 0.5, math.Pow(2, -0.75)},
		{"in the zero bucket", Hist{Exp: true, Zero: 10, Counts: []float64{10}}, 0.25, 0},
		{"past the zero bucket", Hist{Exp: true, Zero: 10, Counts: []float64{10}}, 0.75, math.Sqrt2},
		{"only zeros", Hist{Exp: true, Zero: 3}, 0.99, 0},
		{"one bucket: the mean", Hist{Exp: true, Counts: []float64{4}, Sum: 6}, 0.95, 1.5},
		{"one bucket, mean outside it", Hist{Exp: true, Counts: []float64{4}, Sum: 100}, 0.5, math.Sqrt2},
		{"one bucket and zeros: no mean", Hist{Exp: true, Zero: 4, Counts: []float64{4}, Sum: 6}, 0.75, math.Sqrt2},
	}
	for _, c := range cases {
		if got := c.h.Quantile(c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: q%v = %v, want %v", c.name, c.q, got, c.want)
		}
	}
	if got := (&Hist{Exp: true}).Quantile(0.5); !math.IsNaN(got) {
		t.Errorf("empty: %v, want NaN", got)
	}
	h := Hist{Exp: true, Zero: 5, Counts: []float64{10, 10}} // (1, 2], (2, 4]
	for _, c := range []struct{ le, want float64 }{
		{-1, 0}, {0, 5}, {0.5, 5}, {1, 5}, {math.Sqrt2, 10}, {2, 15}, {2 * math.Sqrt2, 20}, {4, 25}, {100, 25}, {math.Inf(1), 25},
	} {
		if got := h.CountAtOrBelow(c.le); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("CountAtOrBelow(%v) = %v, want %v", c.le, got, c.want)
		}
	}
	if h.Empty() || h.Total() != 25 || !(&Hist{}).Empty() {
		t.Errorf("Empty/Total: %v %v", h.Empty(), h.Total())
	}
}
