package exporters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/redact"
)

// Pipeline defaults.
const (
	// DefaultWarnAfter is how many consecutive failed export cycles make
	// [Pipeline.Check] report a problem.
	DefaultWarnAfter = 3
	// DefaultLogInterval is the least time between two "still failing"
	// log lines of one exporter.
	DefaultLogInterval = 5 * time.Minute
)

// ErrExportFailing is wrapped by [Pipeline.Check]'s error.
var ErrExportFailing = errors.New("telemetry export failing")

// Pipeline turns exporters into the readers of a MeterProvider and keeps
// the health of the export path: failures are counted, logged with rate
// limiting and reported by Check. Push exporters run on their own
// PeriodicReader goroutine, so a slow or dead backend never reaches an
// instrumented call.
//
// A periodic export that fails is accounted here and not passed on to the
// global OpenTelemetry error handler, which would print one line per failed
// cycle. ForceFlush and Shutdown of the readers still return the error.
type Pipeline struct {
	logger    *slog.Logger
	clock     clock.Clock
	warnAfter int
	logEvery  time.Duration

	sinks   []*sink
	readers []sdkmetric.Reader
	inst    atomic.Pointer[pipelineInstruments]
}

// PipelineOption configures [NewPipeline].
type PipelineOption interface {
	applyPipeline(*pipelineConfig)
}

type pipelineConfig struct {
	logger    *slog.Logger
	clock     clock.Clock
	warnAfter int
	logEvery  time.Duration
	producers []sdkmetric.Producer
	errs      []error
}

type pipelineOption func(*pipelineConfig)

func (f pipelineOption) applyPipeline(c *pipelineConfig) { f(c) }

// WithLogger sets the logger for export failures and recoveries; the
// default is slog.Default().
func WithLogger(l *slog.Logger) PipelineOption {
	return pipelineOption(func(c *pipelineConfig) {
		if l == nil {
			c.errs = append(c.errs, fmt.Errorf("%w WithLogger: logger must not be nil", ErrInvalidOption))
		}
		c.logger = l
	})
}

// WithWarnAfter sets how many consecutive failed export cycles make Check
// report the exporter (default 3).
func WithWarnAfter(n int) PipelineOption {
	return pipelineOption(func(c *pipelineConfig) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("%w WithWarnAfter: %d must be at least 1", ErrInvalidOption, n))
		}
		c.warnAfter = n
	})
}

// WithLogInterval sets the least time between two "still failing" lines of
// one exporter (default 5m). The first failure and the recovery are always
// logged.
func WithLogInterval(d time.Duration) PipelineOption {
	return pipelineOption(func(c *pipelineConfig) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("%w WithLogInterval: %v must be positive", ErrInvalidOption, d))
		}
		c.logEvery = d
	})
}

// NewPipeline builds the readers for exps. Names must be unique and an
// exporter may belong to one pipeline only.
func NewPipeline(exps []*Exporter, opts ...PipelineOption) (*Pipeline, error) {
	c := pipelineConfig{logger: slog.Default(), clock: clock.Real{}, warnAfter: DefaultWarnAfter, logEvery: DefaultLogInterval}
	for _, o := range opts {
		if o != nil {
			o.applyPipeline(&c)
		}
	}
	seen := make(map[string]bool)
	for i, e := range exps {
		switch {
		case e == nil:
			c.errs = append(c.errs, fmt.Errorf("%w: exporter %d is nil", ErrInvalidOption, i))
		case seen[e.name]:
			c.errs = append(c.errs, fmt.Errorf("%w: exporter name %q is used twice", ErrInvalidOption, e.name))
		case e.used.Load():
			c.errs = append(c.errs, fmt.Errorf("%w: exporter %q already belongs to a pipeline", ErrInvalidOption, e.name))
		}
		if e != nil {
			seen[e.name] = true
		}
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, fmt.Errorf("exporters: NewPipeline: %w", err)
	}
	for _, e := range exps {
		if e.used.Swap(true) {
			return nil, fmt.Errorf("exporters: NewPipeline: %w: exporter %q already belongs to a pipeline", ErrInvalidOption, e.name)
		}
	}
	p := &Pipeline{logger: c.logger, clock: c.clock, warnAfter: c.warnAfter, logEvery: c.logEvery}
	for _, e := range exps {
		if e.pull != nil {
			p.readers = append(p.readers, e.pull)
			continue
		}
		s := &sink{
			Exporter: e.push, p: p, name: e.name,
			attrs: attribute.NewSet(attribute.String("otel.component.name", e.name), attribute.String("otel.component.type", e.kind)),
		}
		p.sinks = append(p.sinks, s)
		ropts := []sdkmetric.PeriodicReaderOption{sdkmetric.WithInterval(e.interval), sdkmetric.WithTimeout(e.timeout)}
		for _, prod := range c.producers {
			ropts = append(ropts, sdkmetric.WithProducer(prod))
		}
		pr := sdkmetric.NewPeriodicReader(s, ropts...)
		p.readers = append(p.readers, &flushReader{Reader: pr, pr: pr, s: s})
	}
	return p, nil
}

// Readers returns one reader per exporter, to pass to the MeterProvider
// with sdkmetric.WithReader.
func (p *Pipeline) Readers() []sdkmetric.Reader { return append([]sdkmetric.Reader(nil), p.readers...) }

// ExportStatus is the health of one push exporter.
type ExportStatus struct {
	Name string
	// ConsecutiveFailures counts failed cycles since the last success.
	ConsecutiveFailures int
	// Failures counts every failed cycle since the pipeline was built.
	Failures int64
	// LastError is the newest failure, redacted; "" when none.
	LastError string
	// LastSuccess is when an export last succeeded; zero if never.
	LastSuccess time.Time
	// FailingSince is when the current run of failures began.
	FailingSince time.Time
}

// Status returns the health of every push exporter.
func (p *Pipeline) Status() []ExportStatus {
	out := make([]ExportStatus, 0, len(p.sinks))
	for _, s := range p.sinks {
		s.mu.Lock()
		st := ExportStatus{
			Name: s.name, ConsecutiveFailures: s.consecutive, Failures: s.total,
			LastSuccess: s.lastOK, FailingSince: s.failingSince,
		}
		if s.lastErr != nil {
			st.LastError = redact.Error(s.lastErr)
		}
		if s.consecutive == 0 {
			st.FailingSince = time.Time{}
		}
		s.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// Check reports every exporter whose last WarnAfter cycles all failed. It
// has the shape of a checks.CheckFunc; the Monitor registers it as the
// non-critical "telemetry" check, so a dead collector shows as warn and
// never fails readiness.
func (p *Pipeline) Check(ctx context.Context) error {
	var errs []error
	now := p.clock.Now()
	for _, st := range p.Status() {
		if st.ConsecutiveFailures < p.warnAfter {
			continue
		}
		errs = append(errs, fmt.Errorf("%w: exporter %s: %d consecutive failed exports for %v: %s",
			ErrExportFailing, st.Name, st.ConsecutiveFailures, now.Sub(st.FailingSince).Round(time.Second), st.LastError))
	}
	return errors.Join(errs...)
}

// flushReader marks its exporter as flushing during ForceFlush and
// Shutdown, so that their export errors reach the caller. Embedding the
// reader keeps the SDK's unexported Reader methods.
type flushReader struct {
	sdkmetric.Reader
	pr *sdkmetric.PeriodicReader
	s  *sink
}

func (r *flushReader) ForceFlush(ctx context.Context) error {
	r.s.flushing.Add(1)
	defer r.s.flushing.Add(-1)
	return r.pr.ForceFlush(ctx)
}

func (r *flushReader) Shutdown(ctx context.Context) error {
	r.s.flushing.Add(1)
	defer r.s.flushing.Add(-1)
	return r.Reader.Shutdown(ctx)
}

// sink wraps a push exporter with failure accounting.
type sink struct {
	sdkmetric.Exporter
	p        *Pipeline
	name     string
	attrs    attribute.Set
	flushing atomic.Int32

	mu           sync.Mutex
	consecutive  int
	total        int64
	lastErr      error
	lastOK       time.Time
	failingSince time.Time
	lastLog      time.Time
	sinceLog     int
}

// Export runs on the PeriodicReader's goroutine, never on a caller's.
func (s *sink) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	start := time.Now()
	err := s.Exporter.Export(ctx, rm)
	s.observe(ctx, err, countPoints(rm), time.Since(start))
	if err != nil && s.flushing.Load() == 0 {
		return nil // accounted and logged by observe
	}
	return err
}

func (s *sink) observe(ctx context.Context, err error, points int64, d time.Duration) {
	now := s.p.clock.Now()
	var logf func()
	s.mu.Lock()
	if err == nil {
		if s.consecutive > 0 {
			n, down := s.consecutive, now.Sub(s.failingSince)
			logf = func() {
				s.p.logger.LogAttrs(ctx, slog.LevelInfo, "igmon: telemetry export recovered",
					slog.String("exporter", s.name), slog.Int("failed_cycles", n), slog.Duration("down_for", down))
			}
		}
		s.consecutive, s.sinceLog, s.lastOK = 0, 0, now
	} else {
		s.total++
		s.consecutive++
		s.lastErr = err
		switch {
		case s.consecutive == 1:
			s.failingSince, s.lastLog, s.sinceLog = now, now, 0
			msg := redact.Error(err)
			logf = func() {
				s.p.logger.LogAttrs(ctx, slog.LevelWarn, "igmon: telemetry export failed; the service is unaffected, metrics are kept and retried next cycle",
					slog.String("exporter", s.name), slog.String("error", msg))
			}
		default:
			s.sinceLog++
			if now.Sub(s.lastLog) >= s.p.logEvery {
				n, c, since, msg := s.sinceLog, s.consecutive, now.Sub(s.failingSince), redact.Error(err)
				s.lastLog, s.sinceLog = now, 0
				logf = func() {
					s.p.logger.LogAttrs(ctx, slog.LevelWarn, "igmon: telemetry export still failing",
						slog.String("exporter", s.name), slog.Int("failures_since_last_log", n),
						slog.Int("consecutive_failures", c), slog.Duration("failing_for", since), slog.String("error", msg))
				}
			}
		}
	}
	s.mu.Unlock()
	if logf != nil {
		logf()
	}
	if in := s.p.inst.Load(); in != nil {
		in.record(ctx, s, err, points, d)
	}
}

func countPoints(rm *metricdata.ResourceMetrics) int64 {
	var n int
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				n += len(d.DataPoints)
			case metricdata.Sum[float64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[int64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[float64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[int64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[float64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[int64]:
				n += len(d.DataPoints)
			case metricdata.ExponentialHistogram[float64]:
				n += len(d.DataPoints)
			case metricdata.Summary:
				n += len(d.DataPoints)
			}
		}
	}
	return int64(n)
}

// Instrument makes the pipeline record its own metrics into mp (normally
// the provider its readers belong to). Until it is called, failures are
// still counted for Status, Check and the log.
func (p *Pipeline) Instrument(mp metric.MeterProvider) error {
	in, err := newPipelineInstruments(mp)
	if err != nil {
		return fmt.Errorf("exporters: instruments: %w", err)
	}
	p.inst.Store(in)
	return nil
}
