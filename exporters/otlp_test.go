package exporters

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/jackcode/igmon/internal/otlptest"
)

// waitTimeout is generous: CI machines are small and shared.
const waitTimeout = 30 * time.Second

func startReceiver(t *testing.T) *otlptest.Receiver {
	t.Helper()
	r, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

type testProvider struct {
	mp       *sdkmetric.MeterProvider
	meter    metric.Meter
	pipeline *Pipeline
}

// newTestProvider builds a provider the way the Monitor does: pipeline
// readers, bucket advice, self-instrumentation.
func newTestProvider(t *testing.T, exps []*Exporter, opts ...PipelineOption) *testProvider {
	t.Helper()
	opts = append([]PipelineOption{WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	p, err := NewPipeline(exps, opts...)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "wallet"), attribute.String("deployment.environment.name", "test"))
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	for _, r := range p.Readers() {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	mp := sdkmetric.NewMeterProvider(mopts...)
	p.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = mp.Shutdown(ctx)
	})
	wrapped := BucketAdvice(mp)
	if err := p.Instrument(wrapped); err != nil {
		t.Fatal(err)
	}
	return &testProvider{mp: mp, meter: wrapped.Meter("test/payments"), pipeline: p}
}

func otlpTo(t *testing.T, r *otlptest.Receiver, extra map[string]string, opts ...OTLPOption) *Exporter {
	t.Helper()
	env := map[string]string{envEndpoint: r.Endpoint()}
	for k, v := range extra {
		env[k] = v
	}
	// A long interval: the tests drive exports with ForceFlush.
	opts = append([]OTLPOption{withEnvLookup(mapLookup(env)), WithInterval(time.Hour), WithTimeout(5 * time.Second), WithoutRetry()}, opts...)
	e, err := OTLP(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOTLPExportsNamesUnitsAttributesResource(t *testing.T) {
	r := startReceiver(t)
	exp := otlpTo(t, r, map[string]string{envHeaders: "x-api-key=s3cr3t,X-Tenant=casino%201"})
	tp := newTestProvider(t, []*Exporter{exp})

	dur, err := tp.meter.Float64Histogram("http.client.request.duration", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	bets, err := tp.meter.Int64Counter("igmon.test.bets", metric.WithUnit("{bet}"))
	if err != nil {
		t.Fatal(err)
	}
	attrs := attribute.NewSet(attribute.String("server.address", "psp.example"), attribute.String("http.request.method", "POST"))
	ctx := context.Background()
	dur.Record(ctx, 0.2, metric.WithAttributeSet(attrs))
	bets.Add(ctx, 3, metric.WithAttributeSet(attrs))

	if err := tp.mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := r.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d exports, want 1", len(reqs))
	}
	md := reqs[0].Metadata
	if got := md.Get("x-api-key"); !slices.Equal(got, []string{"s3cr3t"}) {
		t.Errorf("x-api-key metadata = %v", got)
	}
	if got := md.Get("x-tenant"); !slices.Equal(got, []string{"casino 1"}) {
		t.Errorf("x-tenant metadata = %v (percent-decoding)", got)
	}
	h, ok := r.Last("http.client.request.duration", map[string]string{"server.address": "psp.example", "http.request.method": "POST"})
	if !ok {
		t.Fatalf("histogram not received: %+v", r.Points())
	}
	if h.Unit != "s" || h.Value != 1 || h.Sum != 0.2 || !h.Cumulative || h.Scope != "test/payments" {
		t.Errorf("histogram = %+v", h)
	}
	if !slices.Equal(h.Bounds, durationBucketsCopy()) {
		t.Errorf("bounds = %v, want the semconv duration buckets", h.Bounds)
	}
	if h.Resource["service.name"] != "wallet" || h.Resource["deployment.environment.name"] != "test" {
		t.Errorf("resource = %v", h.Resource)
	}
	c, ok := r.Last("igmon.test.bets", nil)
	if !ok || c.Value != 3 || c.Unit != "{bet}" || !c.Monotonic || c.Attrs["server.address"] != "psp.example" {
		t.Errorf("counter = %+v, %v", c, ok)
	}
	if st := tp.pipeline.Status(); len(st) != 1 || st[0].Name != "otlp" || st[0].Failures != 0 || st[0].LastSuccess.IsZero() {
		t.Errorf("status = %+v", st)
	}
}

func TestOTLPDeltaTemporalityFromEnv(t *testing.T) {
	r := startReceiver(t)
	exp := otlpTo(t, r, map[string]string{envTemporality: "delta", envCompression: "none"})
	tp := newTestProvider(t, []*Exporter{exp})
	c, _ := tp.meter.Int64Counter("igmon.test.c")
	ctx := context.Background()
	c.Add(ctx, 5)
	_ = tp.mp.ForceFlush(ctx)
	c.Add(ctx, 2)
	if err := tp.mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	p, ok := r.Last("igmon.test.c", nil)
	if !ok || p.Cumulative || p.Value != 2 {
		t.Fatalf("delta point = %+v, %v", p, ok)
	}
}

// TestOTLPUsesTLSByDefault: a bare host:port without INSECURE speaks TLS,
// which the plain-text receiver cannot answer.
func TestOTLPUsesTLSByDefault(t *testing.T) {
	r := startReceiver(t)
	exp := otlpTo(t, r, map[string]string{envEndpoint: r.Addr()})
	tp := newTestProvider(t, []*Exporter{exp})
	c, _ := tp.meter.Int64Counter("igmon.test.c")
	c.Add(context.Background(), 1)
	if err := tp.mp.ForceFlush(context.Background()); err == nil {
		t.Fatal("TLS export to a plain-text receiver succeeded")
	}
	if n := len(r.Requests()); n != 0 {
		t.Fatalf("receiver got %d exports", n)
	}

	r2 := startReceiver(t)
	exp2 := otlpTo(t, r2, map[string]string{envEndpoint: r2.Addr(), envInsecure: "true"})
	tp2 := newTestProvider(t, []*Exporter{exp2})
	c2, _ := tp2.meter.Int64Counter("igmon.test.c")
	c2.Add(context.Background(), 1)
	if err := tp2.mp.ForceFlush(context.Background()); err != nil {
		t.Fatalf("INSECURE=true: %v", err)
	}
}

func TestOTLPInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		opts []OTLPOption
		want string
	}{
		{name: "env headers", env: map[string]string{envMetricsHeaders: "token"}, want: envMetricsHeaders},
		{name: "env timeout", env: map[string]string{envTimeout: "10s"}, want: envTimeout},
		{name: "env interval", env: map[string]string{envMetricExportInterval: "soon"}, want: envMetricExportInterval},
		{name: "option endpoint", opts: []OTLPOption{WithEndpoint("nope")}, want: "WithEndpoint"},
		{name: "option interval", opts: []OTLPOption{WithInterval(0)}, want: "WithInterval"},
		{name: "option headers", opts: []OTLPOption{WithHeaders(map[string]string{"Bad Key": "v"})}, want: "WithHeaders"},
		{name: "https and insecure", opts: []OTLPOption{WithEndpoint("https://c:1"), WithInsecure()}, want: "WithInsecure"},
		{name: "name", opts: []OTLPOption{WithName("a b")}, want: "WithName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]OTLPOption{withEnvLookup(mapLookup(tt.env))}, tt.opts...)
			e, err := OTLP(context.Background(), opts...)
			if err == nil {
				_ = e.Shutdown(context.Background())
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %s", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidEnv) && !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
		})
	}
}

// TestCollectorDownAndBack is the failure story end to end: the collector
// goes away, the service keeps recording, failed cycles are counted and
// reported, and after a restart the next export carries the cumulative
// totals.
func TestCollectorDownAndBack(t *testing.T) {
	r := startReceiver(t)
	exp := otlpTo(t, r, nil)
	tp := newTestProvider(t, []*Exporter{exp}, WithWarnAfter(2))
	ctx := context.Background()
	bets, _ := tp.meter.Int64Counter("igmon.test.bets")
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("game", "slots")))

	bets.Add(ctx, 10, set)
	if err := tp.mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	r.Stop()

	for i := range 3 {
		bets.Add(ctx, 5, set) // the hot path does not notice the dead collector
		if err := tp.mp.ForceFlush(ctx); err == nil {
			t.Fatalf("flush %d with the collector down succeeded", i)
		}
	}
	err := tp.pipeline.Check(ctx)
	if !errors.Is(err, errExportFailing) || !strings.Contains(err.Error(), "3 consecutive failed exports") {
		t.Fatalf("Check = %v", err)
	}
	st := tp.pipeline.Status()[0]
	if st.ConsecutiveFailures != 3 || st.Failures != 3 || st.LastError == "" {
		t.Fatalf("status = %+v", st)
	}

	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	r.Reset()
	bets.Add(ctx, 1, set)
	deadline, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	// The client reconnects with backoff; keep flushing until it is back.
	for {
		if err := tp.mp.ForceFlush(ctx); err == nil {
			break
		}
		select {
		case <-deadline.Done():
			t.Fatal("export did not resume after the collector came back")
		case <-time.After(50 * time.Millisecond):
		}
	}
	p, ok := r.Last("igmon.test.bets", map[string]string{"game": "slots"})
	if !ok || p.Value != 26 {
		t.Fatalf("after restart got %+v, %v; want the cumulative total 26", p, ok)
	}
	if err := tp.pipeline.Check(ctx); err != nil {
		t.Fatalf("Check after recovery = %v", err)
	}
	// The pipeline's own metrics made it out too.
	f, ok := r.Last(igsemconv.MetricExportFailures, map[string]string{"otel.component.name": "otlp", "otel.component.type": "otlp_grpc_metric_exporter"})
	if !ok || f.Value < 3 || f.Attrs["error.type"] != "Unavailable" || f.Unit != "{export}" {
		t.Fatalf("%s = %+v, %v", igsemconv.MetricExportFailures, f, ok)
	}
	if d, ok := r.Last(igsemconv.MetricExportDuration, map[string]string{"error.type": "Unavailable"}); !ok || d.Unit != "s" || d.Value < 3 {
		t.Fatalf("%s = %+v, %v", igsemconv.MetricExportDuration, d, ok)
	}
}

// TestShutdownHonoursDeadline: with the collector gone and retries on,
// Shutdown gives up at the caller's deadline and says so.
func TestShutdownHonoursDeadline(t *testing.T) {
	r := startReceiver(t)
	env := map[string]string{envEndpoint: r.Endpoint()}
	exp, err := OTLP(context.Background(), withEnvLookup(mapLookup(env)), WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline([]*Exporter{exp}, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.Readers()[0]))
	p.Start()
	c, _ := mp.Meter("t").Int64Counter("c")
	c.Add(context.Background(), 1)
	r.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = mp.Shutdown(ctx)
	if err == nil {
		t.Fatal("Shutdown reported success although nothing was delivered")
	}
	if ctx.Err() == nil {
		// Not a timing assertion: the deadline must have been reached
		// for the exporter to give up, since it retries otherwise.
		t.Logf("shutdown returned before the deadline: %v", err)
	}
}

// TestShutdownWithCollectorGone: a real collector receives the first
// exports and goes away. Shutdown, with periodic exports retrying against
// the closed port, returns within its deadline with ErrFinalExportFailed,
// logs one warning naming the collector and the points dropped and no
// header, and nothing reaches the global error handler.
func TestShutdownWithCollectorGone(t *testing.T) {
	handled := globalErrors(t)
	r := startReceiver(t)
	logs := &logRecorder{}
	exp, err := OTLP(context.Background(), withEnvLookup(mapLookup(nil)), WithEndpoint(r.Endpoint()),
		WithHeaders(map[string]string{"authorization": "Bearer s3cret-otlp-token"}),
		// Retries stay on: each export retries the closed port for 1s, so
		// one is in progress when Shutdown comes.
		WithInterval(50*time.Millisecond), WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline([]*Exporter{exp}, WithLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.Readers()[0]))
	p.Start()
	c, _ := mp.Meter("t").Int64Counter("igmon.test.bets")
	c.Add(context.Background(), 1)
	wctx, wcancel := context.WithTimeout(context.Background(), waitTimeout)
	defer wcancel()
	if _, err := r.WaitFor(wctx, func(p otlptest.Point) bool { return p.Name == "igmon.test.bets" }); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	// The pipeline logs the first failed export to the stopped collector.
	if err := logs.waitFor(wctx, "telemetry export failed"); err != nil {
		t.Fatalf("exports to the stopped collector never failed: %v", err)
	}
	if st := p.Status()[0]; st.ConsecutiveFailures == 0 {
		t.Fatalf("a failed export was logged but not counted: %+v", st)
	}

	const deadline = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	// What is proved is that Shutdown returns, with the final export's
	// error, and does not hang on the dead collector; how close to its
	// deadline is the SDK's business and a matter of load.
	done := make(chan error, 1)
	go func() { done <- mp.Shutdown(ctx) }()
	select {
	case err = <-done:
	case <-time.After(waitTimeout):
		t.Fatalf("Shutdown with a %v deadline still running after %v", deadline, waitTimeout)
	}
	want := "final metrics export failed: collector unreachable at " + r.Addr() + "; "
	if !errors.Is(err, ErrFinalExportFailed) || !strings.Contains(err.Error(), want) {
		t.Errorf("Shutdown = %v, want ErrFinalExportFailed with %q", err, want)
	}
	if errs := handled(); len(errs) > 0 {
		t.Errorf("the global error handler got %v", errs)
	}
	msgs := logs.messages()
	final := matching(msgs, "final metrics export failed")
	if len(final) != 1 || !strings.HasPrefix(final[0], "igmon: "+want) || !strings.Contains(final[0], " dropped exporter=otlp") ||
		!strings.Contains(final[0], "endpoint="+r.Addr()) {
		t.Errorf("want one final-export warning naming %s, got:\n%s", r.Addr(), strings.Join(msgs, "\n"))
	}
	// The periodic failure before Shutdown is the other line.
	if n := len(msgs) - len(final); n != 1 {
		t.Errorf("%d other lines, want the one periodic failure:\n%s", n, strings.Join(msgs, "\n"))
	}
	for _, m := range msgs {
		if strings.Contains(m, "s3cret") {
			t.Errorf("a log line carries the header: %s", m)
		}
	}
}
