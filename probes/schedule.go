package probes

import (
	"context"
	"math"
	rtmetrics "runtime/metrics"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/buildinfo"
)

// scheduleBounds are the explicit bucket upper bounds, in seconds, of
// go.schedule.duration: 1µs to 1s in 1-2.5-5 steps (19 bounds, 20
// buckets). The semantic conventions give no advice for this histogram;
// these cover a healthy scheduler (below 10µs) up to a saturated one (tens
// of milliseconds and more), with a bound at each threshold an alert is
// likely to name. Views do not apply to producers, so they are fixed.
// They are shared by every data point (readers treat metric data as
// read-only), so Produce does not copy them.
var scheduleBounds = []float64{
	1e-6, 2.5e-6, 5e-6,
	10e-6, 25e-6, 50e-6,
	100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3,
	10e-3, 25e-3, 50e-3,
	100e-3, 250e-3, 500e-3,
	1,
}

// scheduleBoundsCopy returns a copy of scheduleBounds.
func scheduleBoundsCopy() []float64 { return append([]float64(nil), scheduleBounds...) }

const (
	schedLatencies  = "/sched/latencies:seconds"
	scheduleBuckets = 20 // len(scheduleBounds)+1; checked by a test
)

// processStart approximates the start of the runtime's counting: the
// histogram holds every sample since the process started, so cumulative
// points start here and not when a producer was built. It is shared by
// every producer, so two Monitors in one process report the same series.
var processStart = time.Now()

// scheduleProducer adds go.schedule.duration, the time goroutines spent
// runnable before they ran (runtime/metrics /sched/latencies:seconds), to
// the metrics of every reader it is registered with (sdkmetric.WithProducer,
// or exporters.WithProducers). The OpenTelemetry API has no asynchronous
// histogram, so the histogram the runtime already keeps is handed to the
// reader as precomputed data instead of being recorded again.
//
// The runtime's histogram has about 160 buckets, four per power of two; it
// is folded into scheduleBounds at every collection. A runtime bucket
// [lo, hi) is counted in the first bound ≥ hi, so no latency is ever
// counted below its true value: the bucket le=b holds exactly the samples
// below the largest runtime edge ≤ b, which is at least 0.8·b. A latency
// between that edge and b may be counted in the next bucket.
//
// The runtime records no sum. Sum is estimated from the midpoints of the
// runtime's buckets (their lower edge for the unbounded last one); with
// four buckets per power of two the estimate is within 12.5% of the true
// sum (latencies below 512ns are in 64ns-wide buckets). Min and Max are
// not reported.
//
// The runtime tracks one scheduling event in eight per goroutine, so Count
// is the number of sampled events, not of every time a goroutine was
// scheduled; the distribution is what the histogram is for.
//
// Produce is safe for concurrent use; it allocates only the data point it
// returns, because the reader keeps (and the in-process reader shares) the
// result after Produce returns.
type scheduleProducer struct {
	mu     sync.Mutex
	sample [1]rtmetrics.Sample

	// Derived from the runtime's bucket edges, which are fixed for a Go
	// version; rebuilt if the runtime hands out different ones.
	edges []float64 // the runtime's Buckets the tables were built for
	index []uint8   // runtime bucket -> scheduleBounds bucket
	mid   []float64 // runtime bucket -> value assumed for the sum
}

var _ sdkmetric.Producer = (*scheduleProducer)(nil)

// RuntimeProducer returns a producer of go.schedule.duration under the
// scope "github.com/jackcode/igmon/probes". The Monitor registers one on every reader it builds
// unless system metrics are turned off; a service with its own
// MeterProvider passes it to its readers with sdkmetric.WithProducer.
// It folds the runtime's histogram (about 160 buckets) into 19 fixed
// bounds, 1µs to 1s in 1-2.5-5 steps, at every collection, never counting a latency below its
// true value; Count is the runtime's sampled events (one in eight per
// goroutine) and Sum an estimate within 12.5%. Produce is safe for
// concurrent use.
func RuntimeProducer() sdkmetric.Producer { return newScheduleProducer() }

func newScheduleProducer() *scheduleProducer {
	p := &scheduleProducer{}
	p.sample[0].Name = schedLatencies
	return p
}

// scheduleData is everything one Produce returns, allocated together.
type scheduleData struct {
	scopes  [1]metricdata.ScopeMetrics
	metrics [1]metricdata.Metrics
	points  [1]metricdata.HistogramDataPoint[float64]
	counts  [scheduleBuckets]uint64
}

// Produce returns go.schedule.duration as a cumulative histogram. It
// returns nothing (and no error) on a Go runtime without the metric, so a
// collection never fails because of it.
func (p *scheduleProducer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	d := new(scheduleData)
	p.mu.Lock()
	rtmetrics.Read(p.sample[:])
	v := p.sample[0].Value
	if v.Kind() != rtmetrics.KindFloat64Histogram {
		p.mu.Unlock()
		return nil, nil
	}
	h := v.Float64Histogram()
	if len(h.Buckets) != len(h.Counts)+1 || len(h.Counts) == 0 {
		p.mu.Unlock()
		return nil, nil // not the documented shape: report nothing
	}
	count, sum := p.fold(h, &d.counts)
	p.mu.Unlock()

	d.points[0] = metricdata.HistogramDataPoint[float64]{
		Attributes:   *attribute.EmptySet(),
		StartTime:    processStart,
		Time:         time.Now(),
		Count:        count,
		Bounds:       scheduleBounds,
		BucketCounts: d.counts[:],
		Sum:          sum,
	}
	d.metrics[0] = metricdata.Metrics{
		Name:        "go.schedule.duration",
		Description: "The time goroutines have spent in the scheduler in a runnable state before actually running.",
		Unit:        "s",
		Data: metricdata.Histogram[float64]{
			Temporality: metricdata.CumulativeTemporality,
			DataPoints:  d.points[:],
		},
	}
	d.scopes[0] = metricdata.ScopeMetrics{
		Scope:   instrumentation.Scope{Name: scopeName, Version: buildinfo.Version(), SchemaURL: buildinfo.SchemaURL},
		Metrics: d.metrics[:],
	}
	return d.scopes[:], nil
}

// fold adds the runtime histogram h into counts and returns its count and
// estimated sum. p.mu must be held.
func (p *scheduleProducer) fold(h *rtmetrics.Float64Histogram, counts *[scheduleBuckets]uint64) (count uint64, sum float64) {
	if !sameEdges(p.edges, h.Buckets) {
		p.build(h.Buckets)
	}
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		counts[p.index[i]] += c
		count += c
		sum += float64(c) * p.mid[i]
	}
	return count, sum
}

// sameEdges reports whether b are the edges the tables were built for.
// The runtime hands out the same backing array on every read, so this is
// normally one pointer comparison.
func sameEdges(a, b []float64) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	if &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// build maps each runtime bucket [edges[i], edges[i+1]) to the first
// scheduleBounds bucket whose bound is ≥ its upper edge, and picks the
// value that stands for its samples in the sum.
func (p *scheduleProducer) build(edges []float64) {
	n := len(edges) - 1
	p.edges = edges
	p.index = make([]uint8, n)
	p.mid = make([]float64, n)
	for i := range n {
		lo, hi := edges[i], edges[i+1]
		p.index[i] = uint8(scheduleBucket(hi))
		switch {
		case math.IsInf(lo, -1) || lo < 0:
			p.mid[i] = 0 // a latency below zero is not a latency
		case math.IsInf(hi, 1):
			p.mid[i] = lo
		default:
			p.mid[i] = lo + (hi-lo)/2
		}
	}
}

// scheduleBucket is the index of the first bound ≥ hi, or the overflow
// bucket.
func scheduleBucket(hi float64) int {
	for j, b := range scheduleBounds {
		if hi <= b {
			return j
		}
	}
	return len(scheduleBounds)
}
