package alerting

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/exporters"
)

var outcomes = []string{"success", "error", "timeout", "rejected", "declined"}

// benchSetup records 10,000 series into a real SDK: 5,000 counter series of
// igmon.dependency.calls and 5,000 histogram series of
// igmon.dependency.duration (kinds × deps = 500 dependencies × 2
// operations × 5 outcomes), and builds 100 rules in 25 sets of four (ratio,
// quantile, absence, SLO), set i watching dependency kind i % kinds. With
// 10 kinds, sets repeat (as warning and critical rules do); with 25 every
// set has its own kind.
//
// The reader aggregates histograms as igmon's in-process reader does
// (exporters.InProcessAggregation: base-2 exponential), so quantile rules
// read the exponential path. Every series records 0.1 s, as before that
// change; see benchSetupWith for spread latencies.
func benchSetup(b *testing.B, kinds int) (*igmonMeters, []Rule) {
	return benchSetupWith(b, kinds, benchData{})
}

// benchData varies what benchSetupWith records.
type benchData struct {
	// explicit reads the histograms with the instrument's explicit
	// buckets (a plain ManualReader), as before exponential histograms.
	explicit bool
	// spread records, besides 0.1 s, 24 latencies log-spaced from 10 ms
	// to 1.5 s into every histogram series, so that each one spans about
	// 115 buckets at scale 4 (and every explicit bucket up to 2.5 s): the
	// exponential path's widest realistic case.
	spread bool
}

func benchSetupWith(b *testing.B, kinds int, d benchData) (*igmonMeters, []Rule) {
	deps := 500 / kinds
	var m *igmonMeters
	if d.explicit {
		m = newMeters(b)
	} else {
		m = newMeters(b, sdkmetric.WithAggregationSelector(exporters.InProcessAggregation))
	}
	ctx := context.Background()
	var spread []float64
	if d.spread {
		for i := range 24 {
			spread = append(spread, 0.01*math.Pow(150, float64(i)/23))
		}
	}
	for k := range kinds {
		for n := range deps {
			for _, op := range []string{"deposit", "withdraw"} {
				for _, o := range outcomes {
					a := metric.WithAttributeSet(attribute.NewSet(
						attribute.String("igmon.dependency.kind", fmt.Sprintf("kind%d", k)),
						attribute.String("igmon.dependency.name", fmt.Sprintf("dep%d", n)),
						attribute.String("igmon.dependency.operation", op),
						attribute.String("igmon.dependency.outcome", o)))
					m.calls.Add(ctx, 100, a)
					m.depDur.Record(ctx, 0.1, a)
					for _, v := range spread {
						m.depDur.Record(ctx, v, a)
					}
				}
			}
		}
	}
	var rules []Rule
	by := []string{"igmon.dependency.name", "igmon.dependency.operation"}
	for i := range 100 {
		kind := fmt.Sprintf(`igmon.dependency.kind="kind%d"`, (i/4)%kinds)
		name := fmt.Sprintf("rule%d", i)
		var c Condition
		switch i % 4 {
		case 0:
			c = &Ratio{Numerator: mustSel(b, `igmon.dependency.calls{`+kind+`, igmon.dependency.outcome=~"error|timeout"}`),
				Denominator: mustSel(b, `igmon.dependency.calls{`+kind+`}`), Window: 5 * time.Minute, MinRequests: 10, Value: 0.5}
		case 1:
			c = &Quantile{Histogram: mustSel(b, `igmon.dependency.duration{`+kind+`}`), Quantile: 0.95, Window: 5 * time.Minute, Value: 5}
		case 2:
			c = &Absence{Success: mustSel(b, `igmon.dependency.calls{`+kind+`, igmon.dependency.outcome="success"}`),
				Requests: mustSel(b, `igmon.dependency.calls{`+kind+`}`), Window: 10 * time.Minute}
		case 3:
			e := mustSel(b, `igmon.dependency.calls{`+kind+`, igmon.dependency.outcome!="success"}`)
			c = &SLO{Objective: 0.5, Total: mustSel(b, `igmon.dependency.calls{`+kind+`}`), Errors: &e}
		}
		rules = append(rules, Rule{Name: name, By: by, Condition: c})
	}
	return m, rules
}

// BenchmarkCollectOnly is the baseline: what the SDK's ManualReader costs
// to collect the 10,000 series, with no alerting at all.
func BenchmarkCollectOnly(b *testing.B) { benchCollect(b, benchData{}) }

// BenchmarkCollectOnlyVariants is the baseline of the other cycles: the
// histograms spread, read from explicit buckets, or both.
func BenchmarkCollectOnlyVariants(b *testing.B) {
	b.Run("spread", func(b *testing.B) { benchCollect(b, benchData{spread: true}) })
	b.Run("explicit", func(b *testing.B) { benchCollect(b, benchData{explicit: true}) })
	b.Run("explicit-spread", func(b *testing.B) { benchCollect(b, benchData{explicit: true, spread: true}) })
}

func benchCollect(b *testing.B, d benchData) {
	m, _ := benchSetupWith(b, 10, d)
	var rm metricdata.ResourceMetrics
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := m.reader.Collect(ctx, &rm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate10kSeries100Rules is one full cycle: collect through the
// ManualReader, fold 10,000 series into their windows, evaluate 100 rules.
// x-collect is the cycle's cost over a bare collection of the same
// reader (BenchmarkCollectOnly's work), measured in the same run.
func BenchmarkEvaluate10kSeries100Rules(b *testing.B) { benchCycle(b, 10, benchData{}) }

// BenchmarkEvaluate10kSeries100RulesDistinct is the same cycle where no
// two rule sets watch the same kind: only the selectors a set's own rules
// share (its requests) are summed once.
func BenchmarkEvaluate10kSeries100RulesDistinct(b *testing.B) { benchCycle(b, 25, benchData{}) }

// BenchmarkEvaluate10kSeries100RulesSpread is the cycle with every
// histogram series spread over about 115 exponential buckets.
func BenchmarkEvaluate10kSeries100RulesSpread(b *testing.B) {
	benchCycle(b, 10, benchData{spread: true})
}

// BenchmarkEvaluate10kSeries100RulesExplicit is the cycle with the
// histograms read from their explicit buckets, as before the in-process
// reader aggregated exponential histograms.
func BenchmarkEvaluate10kSeries100RulesExplicit(b *testing.B) {
	benchCycle(b, 10, benchData{explicit: true})
}

// BenchmarkEvaluate10kSeries100RulesExplicitSpread is the spread cycle
// read from explicit buckets.
func BenchmarkEvaluate10kSeries100RulesExplicitSpread(b *testing.B) {
	benchCycle(b, 10, benchData{explicit: true, spread: true})
}

// benchCycle measures full evaluation cycles over benchSetup's series and
// rules, the rule sets watching kinds dependency kinds.
func benchCycle(b *testing.B, kinds int, d benchData) {
	m, rules := benchSetupWith(b, kinds, d)
	e := newEval(b, m, rules)
	ctx := context.Background()
	for range 3 { // warm: series created, scratch grown
		_ = e.Evaluate(ctx)
		m.clk.Advance(15 * time.Second)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		m.clk.Advance(15 * time.Second)
		if err := e.Evaluate(ctx); err != nil {
			b.Fatal(err)
		}
		n++
	}
	cycle := float64(b.Elapsed().Nanoseconds()) / float64(n)
	b.ReportMetric(cycle/collectNs(b, m, max(n, 10)), "x-collect")
	b.ReportMetric(float64(tracked(e)), "series")
	b.ReportMetric(float64(selections(e)), "selectors")
}

// collectNs is the mean cost of n bare collections of m's reader.
func collectNs(b *testing.B, m *igmonMeters, n int) float64 {
	var rm metricdata.ResourceMetrics
	start := time.Now()
	for range n {
		if err := m.reader.Collect(context.Background(), &rm); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// replay collects m once and returns a source that hands out that same
// collection every cycle, so alerting's own work is measured alone.
func replay(b *testing.B, m *igmonMeters) MetricSource {
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(context.Background(), &rm); err != nil {
		b.Fatal(err)
	}
	return metricSourceFunc(func(_ context.Context, out *metricdata.ResourceMetrics) error {
		*out = rm
		return nil
	})
}

// BenchmarkEvaluateRulesOnly isolates alerting's own work: the same cycle
// over an already collected ResourceMetrics.
func BenchmarkEvaluateRulesOnly(b *testing.B) {
	m, rules := benchSetup(b, 10)
	src := replay(b, m)
	e, err := NewEvaluator(rules, withClock(m.clk), WithMetricSource(src))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		_ = e.Evaluate(ctx)
		m.clk.Advance(15 * time.Second)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.clk.Advance(15 * time.Second)
		_ = e.Evaluate(ctx)
	}
}

// BenchmarkMemoryPerSeries reports the heap the evaluator holds per
// tracked series (counter and histogram series, windows of 5m/10m and the
// SLO windows filled).
func BenchmarkMemoryPerSeries(b *testing.B) { benchMemory(b, benchData{}, false) }

// BenchmarkMemoryPerSeriesHistograms reports the heap per histogram series
// (the 25 quantile rules alone: 5,000 histogram series, one 5m window),
// with the histograms read from explicit buckets, exponential ones
// holding one value each, and exponential ones spread over about 115
// buckets.
func BenchmarkMemoryPerSeriesHistograms(b *testing.B) {
	b.Run("explicit", func(b *testing.B) { benchMemory(b, benchData{explicit: true}, true) })
	b.Run("exponential", func(b *testing.B) { benchMemory(b, benchData{}, true) })
	b.Run("exponential-spread", func(b *testing.B) { benchMemory(b, benchData{spread: true}, true) })
}

func benchMemory(b *testing.B, d benchData, histogramsOnly bool) {
	m, rules := benchSetupWith(b, 10, d)
	if histogramsOnly {
		rules = slices.DeleteFunc(rules, func(r Rule) bool {
			_, ok := r.Condition.(*Quantile)
			return !ok
		})
	}
	src := replay(b, m)
	var perSeries float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e, err := NewEvaluator(rules, withClock(m.clk), WithMetricSource(src))
		if err != nil {
			b.Fatal(err)
		}
		for range 40 { // fill the rings of the short windows
			_ = e.Evaluate(context.Background())
			m.clk.Advance(15 * time.Second)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perSeries = float64(after.HeapAlloc-before.HeapAlloc) / float64(tracked(e))
		runtime.KeepAlive(e)
	}
	b.ReportMetric(perSeries, "B/series")
}
