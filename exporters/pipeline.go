package exporters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/redact"
)

// Pipeline defaults.
const (
	// defaultWarnAfter is how many consecutive failed export cycles make
	// [Pipeline.Check] report a problem.
	defaultWarnAfter = 3
	// defaultLogInterval is the least time between two "still failing"
	// log lines of one exporter.
	defaultLogInterval = 5 * time.Minute
)

// errExportFailing is wrapped by [Pipeline.Check]'s error.
var errExportFailing = errors.New("telemetry export failing")

// ErrFinalExportFailed is wrapped by the error a push exporter's reader
// returns from Shutdown when the final export failed, typically because the
// collector is already gone: the data points of that export are lost. The
// pipeline has logged it as one warning. For the service it is no failure
// of its own; tell it apart with errors.Is.
var ErrFinalExportFailed = errors.New("final metrics export failed")

// Pipeline turns exporters into the readers of a MeterProvider and keeps
// the health of the export path: failures are counted, logged with rate
// limiting and reported by Check. Push exporters run on their own
// periodic reader's goroutine, so a slow or dead backend never reaches an
// instrumented call.
//
// A periodic export that fails is accounted here and not passed on to the
// global OpenTelemetry error handler, which would print one line per failed
// cycle. ForceFlush of the readers still returns the error. Shutdown
// returns an error wrapping [ErrFinalExportFailed] when the final export
// fails, after logging it as one warning that names the collector and the
// data points dropped; a periodic export that Shutdown interrupts is
// neither logged nor handed to the global handler.
type Pipeline struct {
	logger    *slog.Logger
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
	warnAfter int
	logEvery  time.Duration
	producers []sdkmetric.Producer
	given     given
	errs      []error
}

type pipelineOption func(*pipelineConfig)

func (f pipelineOption) applyPipeline(c *pipelineConfig) { f(c) }

// WithLogger sets the logger for export failures and recoveries; the
// default is slog.Default().
func WithLogger(l *slog.Logger) PipelineOption {
	return pipelineOption(func(c *pipelineConfig) {
		if err := c.given.twice("WithLogger"); err != nil {
			c.errs = append(c.errs, err)
			return
		}
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
		if err := c.given.twice("WithWarnAfter"); err != nil {
			c.errs = append(c.errs, err)
			return
		}
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
		if err := c.given.twice("WithLogInterval"); err != nil {
			c.errs = append(c.errs, err)
			return
		}
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("%w WithLogInterval: %v must be positive", ErrInvalidOption, d))
		}
		c.logEvery = d
	})
}

// NewPipeline builds the readers for exps. Names must be unique and an
// exporter may belong to one pipeline only.
func NewPipeline(exps []*Exporter, opts ...PipelineOption) (*Pipeline, error) {
	c := pipelineConfig{logger: slog.Default(), warnAfter: defaultWarnAfter, logEvery: defaultLogInterval}
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
	p := &Pipeline{logger: c.logger, warnAfter: c.warnAfter, logEvery: c.logEvery}
	for _, e := range exps {
		if e.pull != nil {
			p.readers = append(p.readers, e.pull)
			continue
		}
		s := &sink{
			Exporter: e.push, p: p, name: e.name, endpoint: e.endpoint,
			attrs: attribute.NewSet(attribute.String("otel.component.name", e.name), attribute.String("otel.component.type", e.kind)),
		}
		p.sinks = append(p.sinks, s)
		p.readers = append(p.readers, newPushReader(s, e.interval, e.timeout, c.producers))
	}
	return p, nil
}

// Readers returns one reader per exporter, to pass to the MeterProvider
// with sdkmetric.WithReader.
func (p *Pipeline) Readers() []sdkmetric.Reader { return append([]sdkmetric.Reader(nil), p.readers...) }

// Start starts the push exporters' export loops, once. Nothing runs in the
// background before it: building a pipeline (or a Monitor) starts no
// goroutine. A reader's Shutdown without Start still makes the final
// export.
func (p *Pipeline) Start() {
	for _, r := range p.readers {
		if pr, ok := r.(*pushReader); ok {
			pr.start()
		}
	}
}

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
// has the shape of a check function (checks.NewCheck); the Monitor registers it as the
// non-critical "telemetry" check, so a dead collector shows as warn and
// never fails readiness.
func (p *Pipeline) Check(ctx context.Context) error {
	var errs []error
	now := time.Now()
	for _, st := range p.Status() {
		if st.ConsecutiveFailures < p.warnAfter {
			continue
		}
		errs = append(errs, fmt.Errorf("%w: exporter %s: %d consecutive failed exports for %v: %s",
			errExportFailing, st.Name, st.ConsecutiveFailures, now.Sub(st.FailingSince).Round(time.Second), st.LastError))
	}
	return errors.Join(errs...)
}

// pushReader collects on an interval and pushes to its sink, as the SDK's
// PeriodicReader does, without ever handing the global OpenTelemetry error
// handler a cycle that its own Shutdown cut short: the PeriodicReader's
// loop may start one more collection after Shutdown cancelled it, and
// prints the cancelled collection as a plain log line. Embedding the
// ManualReader keeps the SDK's unexported Reader methods.
type pushReader struct {
	*sdkmetric.ManualReader
	s        *sink
	interval time.Duration
	timeout  time.Duration

	mu       sync.Mutex // one collect-and-export at a time
	started  sync.Once  // the loop starts once, or never after Shutdown
	stopMu   sync.Mutex
	stop     context.CancelFunc // set by start
	done     chan struct{}      // closed when run returns
	shutdown sync.Once
}

// How one collect-and-export reports a failed export.
const (
	cyclePeriodic = iota // logged and counted; nil to the loop
	cycleFlush           // logged and counted; returned to ForceFlush
	cycleFinal           // one warning; ErrFinalExportFailed to Shutdown
)

func newPushReader(s *sink, interval, timeout time.Duration, producers []sdkmetric.Producer) *pushReader {
	opts := []sdkmetric.ManualReaderOption{
		sdkmetric.WithTemporalitySelector(s.Temporality),
		sdkmetric.WithAggregationSelector(s.Aggregation),
	}
	for _, p := range producers {
		opts = append(opts, sdkmetric.WithProducer(p))
	}
	return &pushReader{ManualReader: sdkmetric.NewManualReader(opts...), s: s, interval: interval, timeout: timeout,
		done: make(chan struct{})}
}

// start starts the export loop, once; after Shutdown it does nothing.
func (r *pushReader) start() {
	r.started.Do(func() {
		ctx, stop := context.WithCancel(context.Background())
		r.stopMu.Lock()
		r.stop = stop
		r.stopMu.Unlock()
		go r.run(ctx)
	})
}

func (r *pushReader) run(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ctx.Err() != nil {
			return // a tick and Shutdown at once: Shutdown wins
		}
		cctx, cancel := context.WithTimeoutCause(ctx, r.timeout, errors.New("reader collect and export timeout"))
		err := r.cycle(cctx, cyclePeriodic)
		cancel()
		if errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
			continue // started before its MeterProvider was built
		}
		if err != nil && ctx.Err() == nil {
			// A collection that failed (a callback or producer error), as
			// the PeriodicReader reports it; export failures are the
			// sink's.
			otel.Handle(err)
		}
	}
}

// cycle collects and exports once.
func (r *pushReader) cycle(ctx context.Context, mode int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(ctx, &rm); err != nil {
		return err
	}
	if mode == cycleFinal && countPoints(&rm) == 0 {
		return nil // nothing to lose: no need to wait for a collector
	}
	return r.s.push(ctx, &rm, mode)
}

// withTimeout bounds ctx by the reader's timeout when it has no deadline.
func (r *pushReader) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, r.timeout)
}

// ForceFlush exports now and returns the export's error.
func (r *pushReader) ForceFlush(ctx context.Context) error {
	if r.s.closing.Load() {
		return sdkmetric.ErrReaderShutdown
	}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	err := r.cycle(ctx, cycleFlush)
	return errors.Join(err, r.s.Exporter.ForceFlush(ctx))
}

// Shutdown stops the loop (cancelling the cycle in progress, which stays
// quiet), makes the final export within ctx (the reader's timeout without
// a deadline) and shuts the exporter down.
func (r *pushReader) Shutdown(ctx context.Context) error {
	err := sdkmetric.ErrReaderShutdown
	r.shutdown.Do(func() {
		r.s.closing.Store(true)
		// A loop that never started never will: done closes here.
		r.started.Do(func() { close(r.done) })
		r.stopMu.Lock()
		if r.stop != nil {
			r.stop()
		}
		r.stopMu.Unlock()
		<-r.done
		ctx, cancel := r.withTimeout(ctx)
		defer cancel()
		err = r.cycle(ctx, cycleFinal)
		if errors.Is(err, sdkmetric.ErrReaderNotRegistered) {
			err = nil // never joined a provider: nothing to export
		}
		if sErr := r.s.Exporter.Shutdown(ctx); err == nil {
			// After a failed final export the exporter's own error is
			// most often the same expired deadline.
			err = sErr
		}
		err = errors.Join(err, r.ManualReader.Shutdown(ctx))
	})
	return err
}

// sink wraps a push exporter with failure accounting.
type sink struct {
	sdkmetric.Exporter
	p        *Pipeline
	name     string
	endpoint string // host:port of the collector; "" for non-OTLP exporters
	attrs    attribute.Set
	closing  atomic.Bool // Shutdown has begun

	mu           sync.Mutex
	consecutive  int
	total        int64
	lastErr      error
	lastOK       time.Time
	failingSince time.Time
	lastLog      time.Time
	sinceLog     int
}

// How observe logs a failure.
const (
	logPeriodic    = iota // first failure, then rate-limited
	logFinal              // the final export: one warning naming what is lost
	logInterrupted        // a periodic export cut short by Shutdown: nothing
)

// push exports rm: on the reader's goroutine for periodic cycles, on the
// caller's for ForceFlush and the final export of Shutdown.
func (s *sink) push(ctx context.Context, rm *metricdata.ResourceMetrics, mode int) error {
	start := time.Now()
	err := s.Exporter.Export(ctx, rm)
	points := countPoints(rm)
	switch {
	case mode == cycleFinal:
		s.observe(ctx, err, points, time.Since(start), logFinal)
		if err != nil {
			return &finalExportError{msg: s.finalMessage(err, points), err: err}
		}
		return nil
	case mode == cyclePeriodic && s.closing.Load():
		// Cut short by Shutdown, whose final export carries the same
		// data and reports.
		s.observe(ctx, err, points, time.Since(start), logInterrupted)
		return nil
	}
	s.observe(ctx, err, points, time.Since(start), logPeriodic)
	if mode == cycleFlush {
		return err
	}
	return nil // accounted and logged by observe
}

// finalExportError is the error of a failed final export.
type finalExportError struct {
	msg string
	err error
}

func (e *finalExportError) Error() string        { return "exporters: " + e.msg + ": " + e.err.Error() }
func (e *finalExportError) Unwrap() error        { return e.err }
func (e *finalExportError) Is(target error) bool { return target == ErrFinalExportFailed }

// finalMessage says why the final export failed and what it cost, without
// the error text (which the log line carries redacted): "final metrics
// export failed: collector unreachable at host:port; 42 points dropped".
func (s *sink) finalMessage(err error, points int64) string {
	var why string
	switch typ := errorType(err); {
	case s.endpoint == "":
		why = "exporter " + s.name
	case typ == "Unavailable":
		why = "collector unreachable at " + s.endpoint
	case typ == "DeadlineExceeded" || typ == "timeout":
		why = "collector at " + s.endpoint + " did not answer in time"
	default:
		why = fmt.Sprintf("collector at %s refused it (%s)", s.endpoint, typ)
	}
	unit := "points"
	if points == 1 {
		unit = "point"
	}
	return fmt.Sprintf("%s: %s; %d %s dropped", ErrFinalExportFailed.Error(), why, points, unit)
}

func (s *sink) observe(ctx context.Context, err error, points int64, d time.Duration, mode int) {
	now := time.Now()
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
		if s.consecutive == 1 {
			s.failingSince = now
		}
		switch {
		case mode == logInterrupted:
		case mode == logFinal:
			msg, redacted := "igmon: "+s.finalMessage(err, points), redact.Error(err)
			logf = func() {
				attrs := []slog.Attr{slog.String("exporter", s.name), slog.Int64("points", points), slog.String("error", redacted)}
				if s.endpoint != "" {
					attrs = append(attrs, slog.String("endpoint", s.endpoint))
				}
				s.p.logger.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
			}
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
