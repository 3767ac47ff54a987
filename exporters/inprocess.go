package exporters

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"golang.org/x/sync/singleflight"
)

// defaultCacheTTL is how long [InProcess.Collect] reuses a collection.
const defaultCacheTTL = time.Second

// ErrNotRegistered is returned by [InProcess.Collect] when its reader is
// not part of a MeterProvider: telemetry is disabled (OTEL_SDK_DISABLED) or
// the Monitor records into a provider it did not build.
var ErrNotRegistered = errors.New("exporters: in-process reader is not registered with a MeterProvider")

// InProcess is the reader igmon reads itself: alert rules and the
// dashboard collect through it, so they see the measurements the exporters
// send. Counters and gauges are the same numbers; histograms are
// aggregated as base-2 exponential histograms ([InProcessAggregation]),
// whatever buckets the exporters use, so that quantiles read in process
// are within a few percent. Collections are shared: concurrent callers
// wait for one collection, and a result is reused for the cache TTL, so a
// dashboard with many viewers does not multiply the cost of collecting.
type InProcess struct {
	reader *sdkmetric.ManualReader
	ttl    time.Duration
	sf     singleflight.Group

	mu     sync.Mutex
	cached metricdata.ResourceMetrics
	at     time.Time
	valid  bool
}

// InProcessOption configures [NewInProcess].
type InProcessOption interface {
	applyInProcess(*inProcessConfig)
}

type inProcessConfig struct {
	ttl       time.Duration
	producers []sdkmetric.Producer
	given     given
	err       error
}

type inProcessOption func(*inProcessConfig)

func (f inProcessOption) applyInProcess(c *inProcessConfig) { f(c) }

// WithCacheTTL sets how long a collection is reused (default 1s); 0
// collects on every call (concurrent calls still share one).
func WithCacheTTL(d time.Duration) InProcessOption {
	return inProcessOption(func(c *inProcessConfig) {
		if err := c.given.twice("WithCacheTTL"); err != nil {
			c.err = errors.Join(c.err, err)
			return
		}
		if d < 0 {
			c.err = errors.Join(c.err, fmt.Errorf("%w WithCacheTTL: %v must not be negative", ErrInvalidOption, d))
		}
		c.ttl = d
	})
}

// ProducerOption adds metric producers; it configures both [NewPipeline]
// and [NewInProcess].
type ProducerOption interface {
	PipelineOption
	InProcessOption
}

type producerOption struct {
	ps  []sdkmetric.Producer
	err error
}

func (o producerOption) applyPipeline(c *pipelineConfig) {
	c.producers = append(c.producers, o.ps...)
	if o.err != nil {
		c.errs = append(c.errs, o.err)
	}
}

func (o producerOption) applyInProcess(c *inProcessConfig) {
	c.producers = append(c.producers, o.ps...)
	if o.err != nil {
		c.err = errors.Join(c.err, o.err)
	}
}

// WithProducers registers ps (sdkmetric.WithProducer) on every reader built:
// the in-process ManualReader, or each push exporter's PeriodicReader. A
// producer hands a reader data the metric API cannot record, such as
// probes.RuntimeProducer's go.schedule.duration histogram. Pull exporters
// bring their own reader and are not changed; give them the producer when
// building them. The Monitor passes the runtime producer itself.
func WithProducers(ps ...sdkmetric.Producer) ProducerOption {
	o := producerOption{ps: append([]sdkmetric.Producer(nil), ps...)}
	for i, p := range ps {
		if p == nil {
			o.err = errors.Join(o.err, fmt.Errorf("%w WithProducers: producer %d is nil", ErrInvalidOption, i))
		}
	}
	return o
}

// inProcessHistogramMaxSize is the most buckets an in-process exponential
// histogram keeps per series (sdkmetric.AggregationBase2ExponentialHistogram's
// MaxSize; the SDK's default).
//
// Why 160: the SDK picks the finest scale (up to inProcessHistogramMaxScale)
// at which a series' observations fit in MaxSize buckets, and igmon's
// series store keeps at most 160 buckets per series. 160 buckets hold 10
// doublings (1 ms to 1 s) at scale 4, so a latency series keeps full
// resolution over any range a dependency or route really spans; beyond it
// (up to 20 doublings, at scale 3) the SDK and the store merge alike. A
// smaller MaxSize would merge to a coarser scale sooner without saving the
// store anything: what the store keeps per series (8 bytes per bucket per
// snapshot) is as wide as the data spans, not as MaxSize.
const inProcessHistogramMaxSize = 160

// inProcessHistogramMaxScale is the finest scale of in-process exponential
// histograms: 4, 16 buckets per doubling (a bucket is 4.4% wide, so a
// quantile interpolated inside one is within 4.4%). igmon's series store
// keeps no finer scale, so a finer one in the SDK would only cost: with
// the SDK's default 20, a series whose latencies vary by ±10% spans ~140
// buckets instead of 5, and collecting 5,000 such series took 6.2 ms
// instead of 0.9 ms.
const inProcessHistogramMaxScale = 4

// InProcessAggregation is the in-process reader's aggregation selector:
// base-2 exponential histograms for histogram instruments, so that alert
// rules and the dashboard read quantiles within a few percent of the truth
// instead of interpolating inside wide explicit buckets (a constant 1.5 s
// read as 2.39 s inside (1, 2.5]); every other kind keeps the SDK's
// default. Instrument bucket advice (metric.WithExplicitBucketBoundaries)
// does not apply to exponential histograms, and a View that sets an
// aggregation still wins. Other readers, the exporters' among them, keep
// their own aggregation: exported histograms are unchanged.
//
// Give it to your own sdkmetric.ManualReader
// (sdkmetric.WithAggregationSelector) when it feeds alert rules in place
// of [InProcess].
func InProcessAggregation(kind sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	if kind == sdkmetric.InstrumentKindHistogram {
		return sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: inProcessHistogramMaxSize, MaxScale: inProcessHistogramMaxScale}
	}
	return sdkmetric.DefaultAggregationSelector(kind)
}

// NewInProcess returns an in-process reader. Register Reader with the
// MeterProvider (the Monitor always does). Its histograms are base-2
// exponential ([InProcessAggregation]).
func NewInProcess(opts ...InProcessOption) (*InProcess, error) {
	c := inProcessConfig{ttl: defaultCacheTTL}
	for _, o := range opts {
		if o != nil {
			o.applyInProcess(&c)
		}
	}
	if c.err != nil {
		return nil, fmt.Errorf("exporters: NewInProcess: %w", c.err)
	}
	ropts := []sdkmetric.ManualReaderOption{sdkmetric.WithAggregationSelector(InProcessAggregation)}
	for _, pr := range c.producers {
		ropts = append(ropts, sdkmetric.WithProducer(pr))
	}
	return &InProcess{reader: sdkmetric.NewManualReader(ropts...), ttl: c.ttl}, nil
}

// Reader is the reader to register with the MeterProvider.
func (p *InProcess) Reader() sdkmetric.Reader { return p.reader }

// Collect returns the current metrics. The result may be shared with other
// callers and must be treated as read-only. Temporality is cumulative, so
// values are totals since start. Histograms are
// metricdata.ExponentialHistogram, unless a View chose an aggregation.
func (p *InProcess) Collect(ctx context.Context) (metricdata.ResourceMetrics, error) {
	if rm, ok := p.fresh(); ok {
		return rm, nil
	}
	for attempt := 0; ; attempt++ {
		v, err, _ := p.sf.Do("collect", func() (any, error) {
			if rm, ok := p.fresh(); ok {
				return rm, nil
			}
			var rm metricdata.ResourceMetrics
			if err := p.reader.Collect(ctx, &rm); err != nil {
				if errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
					return rm, ErrNotRegistered
				}
				return rm, fmt.Errorf("exporters: in-process collect: %w", err)
			}
			p.mu.Lock()
			p.cached, p.at, p.valid = rm, time.Now(), true
			p.mu.Unlock()
			return rm, nil
		})
		// The shared collection ran with the first caller's context: if
		// that caller gave up, try again with ours.
		if err != nil && attempt == 0 && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			continue
		}
		rm, _ := v.(metricdata.ResourceMetrics)
		return rm, err
	}
}

func (p *InProcess) fresh() (metricdata.ResourceMetrics, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.valid && p.ttl > 0 && time.Now().Sub(p.at) < p.ttl {
		return p.cached, true
	}
	return metricdata.ResourceMetrics{}, false
}
