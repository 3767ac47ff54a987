package exporters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// logRecorder keeps every record logged through it.
type logRecorder struct {
	mu      sync.Mutex
	recs    []slog.Record
	changed chan struct{} // closed and replaced on every record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r)
	if h.changed != nil {
		close(h.changed)
		h.changed = nil
	}
	h.mu.Unlock()
	return nil
}

// waitFor returns once a logged line contains s, or ctx's error. It is
// how a test waits for a background export on a real network: on the
// pipeline's own signal, ctx's deadline only a guard against a hang.
func (h *logRecorder) waitFor(ctx context.Context, s string) error {
	for {
		h.mu.Lock()
		if h.changed == nil {
			h.changed = make(chan struct{})
		}
		changed := h.changed
		h.mu.Unlock()
		if len(matching(h.messages(), s)) > 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("no log line containing %q: %w", s, ctx.Err())
		}
	}
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		s := r.Message
		r.Attrs(func(a slog.Attr) bool {
			s += " " + a.String()
			return true
		})
		out = append(out, s)
	}
	return out
}

// stubExporter fails while err is set.
type stubExporter struct {
	mu      sync.Mutex
	err     error
	exports int
}

func (s *stubExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}
func (s *stubExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (s *stubExporter) Export(context.Context, *metricdata.ResourceMetrics) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exports++
	return s.err
}
func (s *stubExporter) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}
func (s *stubExporter) ForceFlush(context.Context) error { return nil }
func (s *stubExporter) Shutdown(context.Context) error   { return nil }

func TestPipelineRateLimitedLogging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &logRecorder{}
		stub := &stubExporter{}
		e, err := NewPush("collector", stub, WithInterval(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPipeline([]*Exporter{e}, WithLogger(slog.New(logs)), WithWarnAfter(3), WithLogInterval(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		// The periodic reader is never registered here: exports are driven by
		// hand on the bubble's clock.
		defer p.Readers()[0].Shutdown(context.Background())
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())
		if err := p.Instrument(mp); err != nil {
			t.Fatal(err)
		}
		s := p.sinks[0]
		ctx := context.Background()
		rm := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{
			{Name: "x", Data: metricdata.Sum[int64]{DataPoints: make([]metricdata.DataPoint[int64], 4)}},
		}}}}

		// One cycle a minute for 12 minutes, the collector unavailable.
		stub.setErr(status.Error(codes.Unavailable, "connection refused to https://user:hunter2@collector"))
		for range 12 {
			if err := s.push(ctx, rm, cyclePeriodic); err != nil {
				t.Fatalf("periodic export returned %v: it would reach the global error handler", err)
			}
			time.Sleep(time.Minute) // the bubble's clock: instant
		}
		msgs := logs.messages()
		// First failure, then "still failing" at +5m and +10m: 3 lines for
		// 12 failures.
		if len(msgs) != 3 {
			t.Fatalf("got %d log lines, want 3:\n%s", len(msgs), strings.Join(msgs, "\n"))
		}
		if !strings.Contains(msgs[0], "export failed") || !strings.Contains(msgs[1], "still failing") ||
			!strings.Contains(msgs[1], "failures_since_last_log=5") || !strings.Contains(msgs[2], "consecutive_failures=11") {
			t.Fatalf("unexpected lines:\n%s", strings.Join(msgs, "\n"))
		}
		for _, m := range msgs {
			if strings.Contains(m, "hunter2") {
				t.Fatalf("credential leaked into the log: %s", m)
			}
		}
		err = p.Check(ctx)
		if !errors.Is(err, errExportFailing) || !strings.Contains(err.Error(), "12 consecutive failed exports for 12m0s") {
			t.Fatalf("Check = %v", err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("Check leaks a credential: %v", err)
		}

		stub.setErr(nil)
		if err := s.push(ctx, rm, cyclePeriodic); err != nil {
			t.Fatal(err)
		}
		msgs = logs.messages()
		if len(msgs) != 4 || !strings.Contains(msgs[3], "recovered") || !strings.Contains(msgs[3], "failed_cycles=12") {
			t.Fatalf("no recovery line:\n%s", strings.Join(msgs, "\n"))
		}
		if err := p.Check(ctx); err != nil {
			t.Fatalf("Check after recovery = %v", err)
		}

		var got metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &got); err != nil {
			t.Fatal(err)
		}
		failures := findSum(t, got, igsemconv.MetricExportFailures)
		if len(failures.DataPoints) != 1 || failures.DataPoints[0].Value != 12 {
			t.Fatalf("failures = %+v", failures.DataPoints)
		}
		if v, _ := failures.DataPoints[0].Attributes.Value("error.type"); v.AsString() != "Unavailable" {
			t.Fatalf("error.type = %q", v.AsString())
		}
		points := findSum(t, got, igsemconv.MetricDataPointsExported)
		var ok, failed int64
		for _, dp := range points.DataPoints {
			if dp.Attributes.HasValue("error.type") {
				failed += dp.Value
			} else {
				ok += dp.Value
			}
		}
		if ok != 4 || failed != 48 {
			t.Fatalf("data points ok=%d failed=%d, want 4 and 48", ok, failed)
		}
	})
}

func findSum(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Sum[int64] {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data.(metricdata.Sum[int64])
			}
		}
	}
	t.Fatalf("metric %s not found", name)
	return metricdata.Sum[int64]{}
}

// TestPeriodicFailuresStayOffTheGlobalHandler runs a real periodic reader
// against a failing exporter: the failures are counted by the pipeline, and
// the OpenTelemetry global error handler (one line per cycle by default)
// never hears of them.
func TestPeriodicFailuresStayOffTheGlobalHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		handled := globalErrors(t)
		const interval = 10 * time.Millisecond
		stub := &stubExporter{err: errors.New("backend down")}
		e, _ := NewPush("stub", stub, WithInterval(interval))
		logs := &logRecorder{}
		p, err := NewPipeline([]*Exporter{e}, WithLogger(slog.New(logs)))
		if err != nil {
			t.Fatal(err)
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.Readers()[0]))
		p.Start()
		c, _ := mp.Meter("t").Int64Counter("c")
		c.Add(context.Background(), 1)
		time.Sleep(5*interval + interval/2) // five periodic exports on the bubble's clock
		synctest.Wait()
		if n := p.Status()[0].Failures; n != 5 {
			t.Fatalf("%d failed periodic exports after 5 intervals, want 5", n)
		}
		stub.setErr(nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := mp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if errs := handled(); len(errs) != 0 {
			t.Fatalf("global error handler called with %v", errs)
		}
		if msgs := logs.messages(); len(msgs) != 2 || !strings.Contains(msgs[1], "recovered") {
			t.Fatalf("want one failure line and one recovery line, got:\n%s", strings.Join(msgs, "\n"))
		}
	})
}

func TestShutdownReturnsExportError(t *testing.T) {
	stub := &stubExporter{err: errors.New("backend down")}
	e, _ := NewPush("stub", stub, WithInterval(time.Hour))
	p, _ := NewPipeline([]*Exporter{e}, WithLogger(slog.New(&logRecorder{})))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.Readers()[0]))
	p.Start()
	c, _ := mp.Meter("t").Int64Counter("c")
	c.Add(context.Background(), 1)
	if err := mp.ForceFlush(context.Background()); err == nil || !strings.Contains(err.Error(), "backend down") {
		t.Fatalf("ForceFlush = %v", err)
	}
	if err := mp.Shutdown(context.Background()); err == nil || !strings.Contains(err.Error(), "backend down") {
		t.Fatalf("Shutdown = %v", err)
	}
}

func TestNewPipelineValidation(t *testing.T) {
	a, _ := NewPush("a", &stubExporter{})
	b, _ := NewPush("a", &stubExporter{})
	for _, tt := range []struct {
		name string
		exps []*Exporter
		opts []PipelineOption
		want string
	}{
		{name: "duplicate", exps: []*Exporter{a, b}, want: `name "a" is used twice`},
		{name: "nil", exps: []*Exporter{nil}, want: "exporter 0 is nil"},
		{name: "warn after", opts: []PipelineOption{WithWarnAfter(0)}, want: "WithWarnAfter"},
		{name: "log interval", opts: []PipelineOption{WithLogInterval(0)}, want: "WithLogInterval"},
		{name: "logger", opts: []PipelineOption{WithLogger(nil)}, want: "WithLogger"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPipeline(tt.exps, tt.opts...)
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	used, _ := NewPush("used", &stubExporter{}, WithInterval(time.Hour))
	p1, err := NewPipeline([]*Exporter{used})
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Readers()[0].Shutdown(context.Background())
	if _, err := NewPipeline([]*Exporter{used}); !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "already belongs") {
		t.Fatalf("reused exporter: %v", err)
	}
	for _, name := range []string{"", "a b", strings.Repeat("x", 65)} {
		if _, err := NewPush(name, &stubExporter{}); err == nil {
			t.Errorf("NewPush(%q) accepted", name)
		}
	}
	if _, err := NewPush("x", nil); err == nil {
		t.Error("NewPush(nil) accepted")
	}
}

func TestErrorType(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{status.Error(codes.Unavailable, "x"), "Unavailable"},
		{errors.Join(errors.New("wrap"), status.Error(codes.ResourceExhausted, "x")), "ResourceExhausted"},
		{context.DeadlineExceeded, "timeout"},
		{errors.New("boom"), "_OTHER"},
	} {
		if got := errorType(tt.err); got != tt.want {
			t.Errorf("errorType(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	_ = attribute.Key("")
}

// globalErrors replaces the OpenTelemetry global error handler for the
// test with one that keeps what it is given.
func globalErrors(t *testing.T) func() []error {
	t.Helper()
	prev := otel.GetErrorHandler()
	var mu sync.Mutex
	var errs []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

// matching returns the logged lines that contain s.
func matching(lines []string, s string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return !strings.Contains(l, s) })
}

// hangingExporter blocks every export until its context ends, like a
// collector that accepts connections and never answers.
type hangingExporter struct {
	stubExporter
	started chan struct{}
	once    sync.Once
}

func (h *hangingExporter) Export(ctx context.Context, _ *metricdata.ResourceMetrics) error {
	h.once.Do(func() { close(h.started) })
	<-ctx.Done()
	return ctx.Err()
}

// TestShutdownInterruptingAnExportLogsOneWarning: Shutdown comes while a
// periodic export hangs. The interrupted export stays off the global error
// handler and the log; the final one, cut at the caller's deadline, is one
// warning, and Shutdown's error wraps ErrFinalExportFailed.
func TestShutdownInterruptingAnExportLogsOneWarning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		handled := globalErrors(t)
		hang := &hangingExporter{started: make(chan struct{})}
		e, _ := NewPush("hang", hang, WithInterval(10*time.Millisecond))
		logs := &logRecorder{}
		p, err := NewPipeline([]*Exporter{e}, WithLogger(slog.New(logs)))
		if err != nil {
			t.Fatal(err)
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.Readers()[0]))
		p.Start()
		c, _ := mp.Meter("t").Int64Counter("c")
		c.Add(context.Background(), 1)
		<-hang.started // the first periodic export, 10ms on the bubble's clock

		const deadline = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		err = mp.Shutdown(ctx)
		if took := time.Since(start); took > deadline {
			t.Errorf("Shutdown took %v with a %v deadline", took, deadline)
		}
		if !errors.Is(err, ErrFinalExportFailed) || !strings.Contains(err.Error(), "exporter hang; 1 point dropped") {
			t.Errorf("Shutdown = %v, want ErrFinalExportFailed naming the exporter and the point", err)
		}
		if errs := handled(); len(errs) > 0 {
			t.Errorf("the global error handler got %v", errs)
		}
		msgs := logs.messages()
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "igmon: final metrics export failed: exporter hang; 1 point dropped") {
			t.Fatalf("want the final-export warning alone, got:\n%s", strings.Join(msgs, "\n"))
		}
		logs.mu.Lock()
		level := logs.recs[0].Level
		logs.mu.Unlock()
		if level != slog.LevelWarn {
			t.Errorf("logged at %v, want WARN", level)
		}
		if st := p.Status()[0]; st.Failures == 0 || st.LastError == "" {
			t.Errorf("status %+v does not count the failed final export", st)
		}
	})
}
