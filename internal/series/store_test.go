package series

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// scripted is a metric source whose collection the test writes directly.
type scripted struct{ rm metricdata.ResourceMetrics }

func (s *scripted) Collect(_ context.Context, out *metricdata.ResourceMetrics) error {
	*out = s.rm
	return nil
}

func (s *scripted) set(ms ...metricdata.Metrics) {
	s.rm = metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: ms}}}
}

func counterOf(name string, vals map[string]int64) metricdata.Metrics {
	var dps []metricdata.DataPoint[int64]
	for k, v := range vals {
		dps = append(dps, metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("s", k)), Value: v})
	}
	return metricdata.Metrics{Name: name, Data: metricdata.Sum[int64]{
		Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: dps}}
}

func histOf(name string, pts map[string][]uint64, bounds map[string][]float64) metricdata.Metrics {
	var dps []metricdata.HistogramDataPoint[float64]
	for k, counts := range pts {
		var n uint64
		for _, c := range counts {
			n += c
		}
		dps = append(dps, metricdata.HistogramDataPoint[float64]{Attributes: attribute.NewSet(attribute.String("s", k)),
			Count: n, Bounds: bounds[k], BucketCounts: counts})
	}
	return metricdata.Metrics{Name: name, Data: metricdata.Histogram[float64]{
		Temporality: metricdata.CumulativeTemporality, DataPoints: dps}}
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// harness drives a Store the way the Engine does: one Ingest per step,
// 15 s apart.
type harness struct {
	st  *Store
	src *scripted
	now time.Time
	sel *Selection
}

func (h *harness) step() {
	h.st.Ingest(&h.src.rm, h.now.UnixNano())
	h.now = h.now.Add(15 * time.Second)
}

func newHarness(t *testing.T, maxSeries int, metric string) *harness {
	t.Helper()
	h := &harness{st: NewStore(32, maxSeries), src: &scripted{}, now: t0}
	sel, err := h.st.Select(metric, metric, matchAll{}, h.st.Grouping([]attribute.Key{"s"}), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	h.sel = sel
	return h
}

type matchAll struct{}

func (matchAll) Matches(map[string]string) bool { return true }

// callsStore returns a store with one selection over the scripted counter
// "calls" split by its attribute s (5-minute window).
func callsStore(t *testing.T, maxSeries int) *harness {
	return newHarness(t, maxSeries, "calls")
}

// increaseOf reads what rules read: element 0's increase over w of the
// series s=key.
func increaseOf(t *testing.T, st *Store, metric, key string, w time.Duration) (float64, bool) {
	t.Helper()
	m := st.metrics[metric]
	for _, s := range m.slots {
		if s == nil {
			continue
		}
		if v, _ := s.attrs.Value("s"); v.AsString() == key {
			i := int(s.slot)*len(m.windows) + m.windowIndex(w)
			return m.inc0[i], m.full[i]
		}
	}
	t.Fatalf("series %s not tracked", key)
	return 0, false
}

// TestStoreManySeries crosses several chunk boundaries (16, 32, 64, ...
// slots) and checks every series' increase: series i grows by i per cycle.
func TestStoreManySeries(t *testing.T) {
	h := callsStore(t, 100000)
	const n = 700
	for cycle := range 40 {
		vals := map[string]int64{}
		for i := range n {
			vals[fmt.Sprint(i)] = int64(i * (cycle + 1))
		}
		h.src.set(counterOf("calls", vals))
		h.step()
	}
	if got := len(h.st.metrics["calls"].chunks); got < 5 {
		t.Fatalf("%d chunks for %d series: the test no longer crosses chunk boundaries", got, n)
	}
	for _, i := range []int{0, 1, 15, 16, 47, 48, 200, 699} {
		got, full := increaseOf(t, h.st, "calls", fmt.Sprint(i), 5*time.Minute)
		if want := float64(i * 20); got != want || !full { // 5m = 20 cycles of 15s
			t.Errorf("series %d: increase %v full=%v, want %v full", i, got, full, want)
		}
	}
}

// TestStoreWiderHistogram: a series with more buckets than any before
// widens every slot; the narrower series keep their history.
func TestStoreWiderHistogram(t *testing.T) {
	h := newHarness(t, 100000, "lat")
	bounds := map[string][]float64{"narrow": {1, 2}, "wide": {1, 2, 3, 4}}
	pts := map[string][]uint64{"narrow": {0, 0, 0}}
	for cycle := range 30 {
		c := uint64(cycle + 1)
		pts["narrow"] = []uint64{c, 0, 0} // all at or below 1
		if cycle >= 10 {
			w := uint64(cycle - 9)
			pts["wide"] = []uint64{0, 0, 0, w, 0} // all in (3, 4]
		}
		h.src.set(histOf("lat", pts, bounds))
		h.step()
	}
	if got, _ := increaseOf(t, h.st, "lat", "narrow", 5*time.Minute); got != 20 {
		t.Errorf("narrow count increase = %v, want 20 (history lost when slots widened?)", got)
	}
	if got, _ := increaseOf(t, h.st, "lat", "wide", 5*time.Minute); got != 20 {
		t.Errorf("wide count increase = %v, want 20", got)
	}
	hs := h.sel.Histograms(5*time.Minute, h.st.Seq())
	for g := range h.sel.Grouping().Len() {
		v := hs.Hist[g].Quantile(0.5)
		switch h.sel.Grouping().Labels(g)["s"] {
		case "narrow":
			if v <= 0 || v > 1 {
				t.Errorf("narrow p50 = %v, want within (0, 1]", v)
			}
		case "wide":
			if v <= 3 || v > 4 || math.IsNaN(v) {
				t.Errorf("wide p50 = %v, want within (3, 4]", v)
			}
		}
	}
}

// TestStoreSlotReuse: a series that disappears is forgotten after the
// longest window plus 5 minutes; a new series takes its slot and starts
// with a clean history.
func TestStoreSlotReuse(t *testing.T) {
	h := callsStore(t, 100000)
	step := func(vals map[string]int64) {
		h.src.set(counterOf("calls", vals))
		h.step()
	}
	for c := range 10 {
		step(map[string]int64{"old": int64(1000 * (c + 1)), "stay": int64(c)})
	}
	// counterOf builds its points from a map: find "old" by its attribute,
	// not by position.
	oldSlot := int32(-1)
	for _, s := range h.st.metrics["calls"].slots {
		if s == nil {
			continue
		}
		if v, _ := s.attrs.Value("s"); v.AsString() == "old" {
			oldSlot = int32(s.slot)
		}
	}
	for c := range 50 { // 12.5 minutes without "old"
		step(map[string]int64{"stay": int64(10 + c)})
	}
	if got := h.st.tracked; got != 1 {
		t.Fatalf("tracked = %d after the series vanished for 12m, want 1", got)
	}
	for c := range 25 { // past 5m, so the increase comes from snapshots
		step(map[string]int64{"stay": int64(60 + c), "new": int64(3 * (c + 1))})
	}
	m := h.st.metrics["calls"]
	var reused bool
	for _, s := range m.slots {
		if s == nil {
			continue
		}
		if v, _ := s.attrs.Value("s"); v.AsString() == "new" {
			reused = int32(s.slot) == oldSlot
		}
	}
	if !reused {
		t.Errorf("the new series did not take the freed slot %d", oldSlot)
	}
	if got, full := increaseOf(t, h.st, "calls", "new", 5*time.Minute); got != 60 || !full {
		t.Errorf("new series increase = %v full=%v, want 60 full (history of the old slot leaked?)", got, full)
	}
}

// TestStoreMaxSeries: series beyond the cap are ignored and counted, the
// tracked ones keep working.
func TestStoreMaxSeries(t *testing.T) {
	h := callsStore(t, 3)
	for c := range 3 {
		vals := map[string]int64{}
		for i := range 5 {
			vals[fmt.Sprint(i)] = int64(c + 1)
		}
		h.src.set(counterOf("calls", vals))
		h.step()
	}
	if h.st.tracked != 3 || h.st.overflowed != 2 {
		t.Fatalf("tracked %d, overflowed %d; want 3 and 2", h.st.tracked, h.st.overflowed)
	}
	if n := len(h.st.metrics["calls"].slots); n != 3 {
		t.Fatalf("%d slots for 3 tracked series", n)
	}
}

// TestStoreBoundsChange: a histogram series whose bucket layout changes
// (a new View after a restart) starts a new history: the quantile uses
// the new buckets only.
func TestStoreBoundsChange(t *testing.T) {
	h := newHarness(t, 100000, "lat")
	step := func(bounds []float64, counts []uint64) {
		h.src.set(histOf("lat", map[string][]uint64{"a": counts}, map[string][]float64{"a": bounds}))
		h.step()
	}
	step(nil, nil) // a first, empty cycle
	for c := range 10 {
		step([]float64{1, 2}, []uint64{uint64(c + 1), 0, 0}) // all ≤ 1
	}
	for c := range 30 {
		step([]float64{10, 20}, []uint64{0, uint64(c + 1), 0}) // all in (10, 20]
	}
	if v := h.sel.Histograms(5*time.Minute, h.st.Seq()).Hist[0].Quantile(0.5); v <= 10 || v > 20 {
		t.Fatalf("p50 after the layout change = %v, want within (10, 20]", v)
	}
	m := h.st.metrics["lat"]
	if got := m.slots[0].bounds; len(got) != 2 || got[0] != 10 {
		t.Fatalf("bounds = %v, want the new layout", got)
	}
}

// TestStoreCounterReset: a cumulative counter that drops restarted; the
// drop counts as a reset, not a negative increase.
func TestStoreCounterReset(t *testing.T) {
	h := callsStore(t, 100000)
	for _, v := range []int64{100, 150, 20, 30} {
		h.src.set(counterOf("calls", map[string]int64{"a": v}))
		h.step()
	}
	s := h.st.metrics["calls"].slots[0]
	// 100 → 150 (+50) → reset to 20 (+20) → 30 (+10): adjusted total 180.
	if s.cur()[0] != 180 {
		t.Fatalf("adjusted total = %v, want 180", s.cur()[0])
	}
}
