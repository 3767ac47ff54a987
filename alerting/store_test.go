package alerting

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/clock"
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

// callsEval returns an evaluator with one rule over the scripted counter
// "calls" split by its attribute s (5-minute window), and its clock and
// source.
func callsEval(t *testing.T, opts ...Option) (*clock.Fake, *scripted, *Evaluator) {
	t.Helper()
	clk, src := clock.NewFake(t0), &scripted{}
	e, err := NewEvaluator([]Rule{{Name: "r", By: []string{"s"}, Condition: &Ratio{
		Numerator: mustSel(t, "calls"), Denominator: mustSel(t, "calls"), Window: 5 * time.Minute, Value: 2}}},
		append([]Option{WithClock(clk), WithMetricSource(src)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return clk, src, e
}

// increaseOf reads what rules read: element 0's increase over w of the
// series s=key.
func increaseOf(t *testing.T, e *Evaluator, metric, key string, w time.Duration) (float64, bool) {
	t.Helper()
	m := e.store.metrics[metric]
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
	clk, src, e := callsEval(t)
	const n = 700
	for cycle := range 40 {
		vals := map[string]int64{}
		for i := range n {
			vals[fmt.Sprint(i)] = int64(i * (cycle + 1))
		}
		src.set(counterOf("calls", vals))
		eval(t, e)
		clk.Advance(15 * time.Second)
	}
	if got := len(e.store.metrics["calls"].chunks); got < 5 {
		t.Fatalf("%d chunks for %d series: the test no longer crosses chunk boundaries", got, n)
	}
	for _, i := range []int{0, 1, 15, 16, 47, 48, 200, 699} {
		got, full := increaseOf(t, e, "calls", fmt.Sprint(i), 5*time.Minute)
		if want := float64(i * 20); got != want || !full { // 5m = 20 cycles of 15s
			t.Errorf("series %d: increase %v full=%v, want %v full", i, got, full, want)
		}
	}
}

// TestStoreWiderHistogram: a series with more buckets than any before
// widens every slot; the narrower series keep their history.
func TestStoreWiderHistogram(t *testing.T) {
	clk := clock.NewFake(t0)
	src := &scripted{}
	e, err := NewEvaluator([]Rule{{Name: "p50", By: []string{"s"}, Condition: &Quantile{
		Histogram: mustSel(t, "lat"), Quantile: 0.5, Window: 5 * time.Minute, Value: 100}}},
		WithClock(clk), WithMetricSource(src))
	if err != nil {
		t.Fatal(err)
	}
	bounds := map[string][]float64{"narrow": {1, 2}, "wide": {1, 2, 3, 4}}
	pts := map[string][]uint64{"narrow": {0, 0, 0}}
	for cycle := range 30 {
		c := uint64(cycle + 1)
		pts["narrow"] = []uint64{c, 0, 0} // all at or below 1
		if cycle >= 10 {
			w := uint64(cycle - 9)
			pts["wide"] = []uint64{0, 0, 0, w, 0} // all in (3, 4]
		}
		src.set(histOf("lat", pts, bounds))
		eval(t, e)
		clk.Advance(15 * time.Second)
	}
	if got, _ := increaseOf(t, e, "lat", "narrow", 5*time.Minute); got != 20 {
		t.Errorf("narrow count increase = %v, want 20 (history lost when slots widened?)", got)
	}
	if got, _ := increaseOf(t, e, "lat", "wide", 5*time.Minute); got != 20 {
		t.Errorf("wide count increase = %v, want 20", got)
	}
	r := e.rules[0]
	for g, l := range r.grp.labels {
		v := r.results[g].value
		switch l["s"] {
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
	clk, src, e := callsEval(t)
	step := func(vals map[string]int64) {
		src.set(counterOf("calls", vals))
		eval(t, e)
		clk.Advance(15 * time.Second)
	}
	for c := range 10 {
		step(map[string]int64{"old": int64(1000 * (c + 1)), "stay": int64(c)})
	}
	// counterOf builds its points from a map: find "old" by its attribute,
	// not by position.
	oldSlot := int32(-1)
	for _, s := range e.store.metrics["calls"].slots {
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
	if got := e.store.tracked; got != 1 {
		t.Fatalf("tracked = %d after the series vanished for 12m, want 1", got)
	}
	for c := range 25 { // past 5m, so the increase comes from snapshots
		step(map[string]int64{"stay": int64(60 + c), "new": int64(3 * (c + 1))})
	}
	m := e.store.metrics["calls"]
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
	if got, full := increaseOf(t, e, "calls", "new", 5*time.Minute); got != 60 || !full {
		t.Errorf("new series increase = %v full=%v, want 60 full (history of the old slot leaked?)", got, full)
	}
}

// TestStoreMaxSeries: series beyond the cap are ignored and counted, the
// tracked ones keep working.
func TestStoreMaxSeries(t *testing.T) {
	clk, src, e := callsEval(t, WithMaxSeries(3))
	for c := range 3 {
		vals := map[string]int64{}
		for i := range 5 {
			vals[fmt.Sprint(i)] = int64(c + 1)
		}
		src.set(counterOf("calls", vals))
		eval(t, e)
		clk.Advance(15 * time.Second)
	}
	if e.store.tracked != 3 || e.store.overflowed != 2 {
		t.Fatalf("tracked %d, overflowed %d; want 3 and 2", e.store.tracked, e.store.overflowed)
	}
	if n := len(e.store.metrics["calls"].slots); n != 3 {
		t.Fatalf("%d slots for 3 tracked series", n)
	}
}

// TestStoreBoundsChange: a histogram series whose bucket layout changes
// (a new View after a restart) starts a new history: the quantile uses
// the new buckets only.
func TestStoreBoundsChange(t *testing.T) {
	clk := clock.NewFake(t0)
	src := &scripted{}
	e, err := NewEvaluator([]Rule{{Name: "p50", Condition: &Quantile{
		Histogram: mustSel(t, "lat"), Quantile: 0.5, Window: 5 * time.Minute, Value: 100}}},
		WithClock(clk), WithMetricSource(src))
	if err != nil {
		t.Fatal(err)
	}
	step := func(bounds []float64, counts []uint64) {
		src.set(histOf("lat", map[string][]uint64{"a": counts}, map[string][]float64{"a": bounds}))
		eval(t, e)
		clk.Advance(15 * time.Second)
	}
	step(nil, nil) // a first, empty cycle
	for c := range 10 {
		step([]float64{1, 2}, []uint64{uint64(c + 1), 0, 0}) // all ≤ 1
	}
	for c := range 30 {
		step([]float64{10, 20}, []uint64{0, uint64(c + 1), 0}) // all in (10, 20]
	}
	r := e.rules[0]
	if v := r.results[0].value; v <= 10 || v > 20 {
		t.Fatalf("p50 after the layout change = %v, want within (10, 20]", v)
	}
	m := e.store.metrics["lat"]
	if got := m.slots[0].bounds; len(got) != 2 || got[0] != 10 {
		t.Fatalf("bounds = %v, want the new layout", got)
	}
}

// TestSharedSelectors: rules that read the same selector split by the same
// labels share one selector (summed once per cycle); each still decides on
// its own threshold, and a rule never alerts for the groups another rule's
// series created.
func TestSharedSelectors(t *testing.T) {
	m := newMeters(t)
	errs := `igmon.dependency.calls{igmon.dependency.outcome="error"}`
	payments := `igmon.dependency.calls{igmon.dependency.kind="payment"}`
	games := `igmon.dependency.calls{igmon.dependency.kind="game"}`
	by := []string{"igmon.dependency.name"}
	ratio := func(name, den string, v float64, by []string) Rule {
		return Rule{Name: name, By: by, Condition: &Ratio{Numerator: mustSel(t, errs), Denominator: mustSel(t, den),
			Window: 5 * time.Minute, Value: v}}
	}
	e := newEval(t, m, []Rule{
		ratio("PaymentErrorsWarn", payments, 0.1, by),
		ratio("PaymentErrorsCrit", payments, 0.5, by),
		ratio("GameErrors", games, 0.1, by),
		ratio("AllPaymentErrors", payments, 0.1, nil), // other By: its own grouping
	})
	// errs and payments by name (shared by three rules), games by name,
	// errs and payments unsplit.
	if got := len(e.store.selectors); got != 5 {
		t.Fatalf("%d selectors for 8 rule selectors, want 5 shared ones", got)
	}
	eval(t, e)
	ctx := context.Background()
	add := func(kind, name, outcome string, n int) {
		for range n {
			m.calls.Add(ctx, 1, depAttrs(kind, name, "deposit", outcome))
		}
	}
	add("payment", "stripe", "error", 3) // 30 %
	add("payment", "stripe", "success", 7)
	add("payment", "adyen", "success", 10)
	add("game", "pragmatic", "error", 8) // 80 %
	add("game", "pragmatic", "success", 2)
	m.clk.Advance(15 * time.Second)
	got := eval(t, e)
	firing := map[string]bool{}
	for _, a := range got {
		if a.State == StatePending || a.State == StateFiring {
			firing[a.Rule+"/"+a.Labels["igmon.dependency.name"]] = true
		}
	}
	want := map[string]bool{"PaymentErrorsWarn/stripe": true, "GameErrors/pragmatic": true, "AllPaymentErrors/": true}
	if fmt.Sprint(firing) != fmt.Sprint(want) {
		t.Fatalf("active alerts %v, want %v", firing, want)
	}
	for _, a := range got {
		// Its numerator is every error (game ones too): 11 over 20 payment calls.
		if a.Rule == "AllPaymentErrors" && math.Abs(a.Value-0.55) > 1e-9 {
			t.Errorf("AllPaymentErrors value %v, want 0.55", a.Value)
		}
	}
}
