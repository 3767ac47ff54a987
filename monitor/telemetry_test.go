package monitor

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/otlptest"
)

// eventually is generous: the test machine is small and shared.
const eventually = 30 * time.Second

// clearOTelEnv keeps the developer's or CI's OTEL_* settings out of a test.
func clearOTelEnv(t *testing.T) {
	for _, k := range []string{
		"OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_METRICS_INSECURE", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
		"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_METRIC_EXPORT_TIMEOUT", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME",
	} {
		t.Setenv(k, "")
	}
}

func startReceiver(t *testing.T) *otlptest.Receiver {
	t.Helper()
	r, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

func fastOTLP(t *testing.T, r *otlptest.Receiver) *exporters.Exporter {
	t.Helper()
	e, err := exporters.OTLP(context.Background(), exporters.WithEndpoint(r.Endpoint()),
		exporters.WithInterval(50*time.Millisecond), exporters.WithTimeout(2*time.Second), exporters.WithoutRetry())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func shutdown(t *testing.T, m *Monitor) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Shutdown(ctx)
	})
}

func waitPoint(t *testing.T, r *otlptest.Receiver, pred func(otlptest.Point) bool) otlptest.Point {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventually)
	defer cancel()
	p, err := r.WaitFor(ctx, pred)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMonitorExportsOverOTLPWithResource(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "brand=luckyspin")
	r := startReceiver(t)
	m, err := New(quiet, WithoutSystemMetrics(), WithServiceName("wallet"), WithServiceVersion("1.4.2"),
		WithEnvironment("production"), WithInstanceID("wallet-7"), WithExporters(fastOTLP(t, r)))
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, m)
	if err := m.Start(context.Background()); err != nil { // exports begin at Start
		t.Fatal(err)
	}
	h, err := m.MeterProvider().Meter("casino").Float64Histogram("casino.spin.duration", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	h.Record(context.Background(), 0.3, metric.WithAttributeSet(attribute.NewSet(attribute.String("game", "slots"))))

	p := waitPoint(t, r, func(p otlptest.Point) bool { return p.Name == "casino.spin.duration" })
	if p.Unit != "s" || p.Attrs["game"] != "slots" || p.Value != 1 || p.Sum != 0.3 || len(p.Bounds) != 14 /* the semantic conventions' 14 duration bounds */ {
		t.Errorf("point = %+v", p)
	}
	for k, want := range map[string]string{
		"service.name": "wallet", "service.version": "1.4.2", "deployment.environment.name": "production",
		"service.instance.id": "wallet-7", "brand": "luckyspin", "telemetry.sdk.language": "go",
	} {
		if p.Resource[k] != want {
			t.Errorf("resource %s = %q, want %q", k, p.Resource[k], want)
		}
	}
	for _, k := range []string{"host.name", "process.pid", "process.runtime.name", "os.type"} {
		if p.Resource[k] == "" {
			t.Errorf("resource lacks %s: %v", k, p.Resource)
		}
	}
	if _, ok := p.Resource["process.command_args"]; ok {
		t.Error("the command line (which may hold secrets) is in the resource")
	}
	// The in-process reader sees the same instrument.
	rm, err := m.Metrics().Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !hasMetric(rm, "casino.spin.duration") {
		t.Error("in-process reader does not see what is exported")
	}
}

func hasMetric(rm metricdata.ResourceMetrics, name string) bool {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return true
			}
		}
	}
	return false
}

func TestMonitorUsesOTLPFromEnv(t *testing.T) {
	clearOTelEnv(t)
	r := startReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.Endpoint())
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "50")
	m, err := New(quiet, WithoutSystemMetrics())
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, m)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := m.MeterProvider().Meter("t").Int64Counter("igmon.test.env")
	c.Add(context.Background(), 2)
	waitPoint(t, r, func(p otlptest.Point) bool { return p.Name == "igmon.test.env" && p.Value == 2 })
	if st := m.telemetryStatus(); len(st) != 1 || st[0].Name != "otlp" {
		t.Fatalf("status = %+v", st)
	}
	if _, ok := m.Checks().Result(telemetryCheck); !ok {
		t.Fatal("no telemetry check")
	}

	// WithExporters() with no arguments turns the environment default off.
	m2, err := New(quiet, WithoutSystemMetrics(), WithExporters())
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, m2)
	if len(m2.telemetryStatus()) != 0 {
		t.Fatal("WithExporters() still exports")
	}
}

func TestMonitorInProcessOnlyByDefault(t *testing.T) {
	clearOTelEnv(t)
	m, err := New(quiet, WithoutSystemMetrics(), WithCardinalityLimit(5))
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, m)
	if len(m.telemetryStatus()) != 0 {
		t.Fatal("exporting with nothing configured")
	}
	if _, ok := m.Checks().Result(telemetryCheck); ok {
		t.Fatal("telemetry check without an exporter to watch")
	}
	c, _ := m.MeterProvider().Meter("t").Int64Counter("igmon.test.players")
	for i := range 100 {
		c.Add(context.Background(), 1, metric.WithAttributes(attribute.Int("player", i)))
	}
	rm, err := m.Metrics().Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if mt.Name == "igmon.test.players" {
				if n := len(mt.Data.(metricdata.Sum[int64]).DataPoints); n != 5 {
					t.Fatalf("%d series with WithCardinalityLimit(5)", n)
				}
				return
			}
		}
	}
	t.Fatal("metric not collected")
}

func TestMonitorSDKDisabled(t *testing.T) {
	clearOTelEnv(t)
	r := startReceiver(t)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.Endpoint())
	m, err := New(quiet, WithoutSystemMetrics())
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, m)
	if _, ok := m.MeterProvider().(noop.MeterProvider); !ok {
		t.Fatalf("provider is %T, want noop", m.MeterProvider())
	}
	if _, err := m.Metrics().Collect(context.Background()); !errors.Is(err, exporters.ErrNotRegistered) {
		t.Fatalf("Collect = %v", err)
	}
	if err := m.Checks().Register("db", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	if code := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d with telemetry disabled", code)
	}

	t.Setenv("OTEL_SDK_DISABLED", "maybe")
	if _, err := New(quiet, WithoutSystemMetrics()); err == nil || !strings.Contains(err.Error(), "OTEL_SDK_DISABLED") {
		t.Fatalf("bad OTEL_SDK_DISABLED: %v", err)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	code, _ := getBody(t, url)
	return code
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMonitorCollectorDown: the collector dies mid-run. Instrumented calls
// and the health endpoints carry on, the telemetry check warns without
// failing readiness, and when the collector returns export resumes with the
// cumulative totals.
//
// The test makes the export cycles it counts itself (ForceFlush runs the
// same collect-and-export as a periodic cycle, and returns its error), and
// the checks run on a fake clock with no loop, so a request an interval
// later re-runs the telemetry check. Only the export loop runs in the
// background: after the collector returns, the gRPC connection comes back
// when it does, and the test waits for the first point to arrive.
func TestMonitorCollectorDown(t *testing.T) {
	clearOTelEnv(t)
	r := startReceiver(t)
	fc := clock.NewFake(alT0)
	m, err := New(quiet, WithoutSystemMetrics(), WithExporters(fastOTLP(t, r)), withTelemetryWarnAfter(2),
		WithRegistryOptions(checkstest.WithClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	shutdown(t, m)
	if err := m.Checks().Register("db", func(context.Context) error { return nil }, checks.WithOnRequest(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	m.tel.pipeline.Start() // the export loop alone: the checks stay on the fake clock
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	c, _ := m.MeterProvider().Meter("t").Int64Counter("igmon.test.bets")
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("game", "roulette")))
	ctx := context.Background()
	c.Add(ctx, 10, set)
	waitPoint(t, r, func(p otlptest.Point) bool { return p.Name == "igmon.test.bets" && p.Value == 10 })
	if code, body := getBody(t, srv.URL+"/readyz?verbose"); code != http.StatusOK || !strings.Contains(body, "telemetry") {
		t.Fatalf("/readyz?verbose = %d with the collector up:\n%s", code, body)
	}

	r.Stop()
	added := int64(0)
	for range 2 { // withTelemetryWarnAfter(2)
		c.Add(ctx, 1, set) // the service keeps working while exports fail
		added++
		if err := m.ownMP.ForceFlush(ctx); err == nil {
			t.Fatal("an export to the stopped collector succeeded")
		}
		if code := get(t, srv.URL+"/readyz"); code != http.StatusOK {
			t.Fatalf("/readyz = %d while the collector is down", code)
		}
	}
	if st := m.telemetryStatus(); st[0].ConsecutiveFailures < 2 {
		t.Fatalf("export status %+v after two failed exports", st[0])
	}
	// The telemetry check's result is an interval (the checks default,
	// 10s) old: the next request runs it again.
	fc.Advance(10 * time.Second)
	code, body := getBody(t, srv.URL+"/readyz?verbose")
	if code != http.StatusOK {
		t.Fatalf("/readyz?verbose = %d: a dead collector must not fail readiness\n%s", code, body)
	}
	if res, _ := m.Checks().Result(telemetryCheck); res.Status != checks.StatusWarn {
		t.Fatalf("telemetry check %v after two failed exports, want warn:\n%s", res.Status, body)
	}
	rm, err := m.Metrics().Collect(ctx)
	if err != nil || !hasMetric(rm, igsemconv.MetricExportFailures) {
		t.Fatalf("failure counter not in the in-process reader: %v", err)
	}

	for range 5 {
		c.Add(ctx, 1, set)
		added++
	}
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	r.Reset()
	// Whatever was added while down is in the next export: totals are
	// cumulative.
	p := waitPoint(t, r, func(p otlptest.Point) bool { return p.Name == "igmon.test.bets" })
	if p.Value != float64(10+added) || !p.Cumulative {
		t.Fatalf("after restart %+v, want the cumulative total %d", p, 10+added)
	}
	// The connection is back: an export now succeeds, and the check,
	// an interval later, passes.
	if err := m.ownMP.ForceFlush(ctx); err != nil {
		t.Fatalf("export after the collector returned: %v", err)
	}
	fc.Advance(10 * time.Second)
	_ = m.Checks().Status(ctx, checks.Readiness)
	if res, _ := m.Checks().Result(telemetryCheck); res.Status != checks.StatusPass {
		t.Fatalf("telemetry check %v (%v) after a successful export, want pass", res.Status, res.Err)
	}
}

func TestMonitorShutdownReportsUndeliveredMetrics(t *testing.T) {
	clearOTelEnv(t)
	r := startReceiver(t)
	e, err := exporters.OTLP(context.Background(), exporters.WithEndpoint(r.Endpoint()), exporters.WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(quiet, WithoutSystemMetrics(), WithExporters(e))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := m.MeterProvider().Meter("t").Int64Counter("c")
	c.Add(context.Background(), 1)
	r.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := m.Shutdown(ctx); !errors.Is(err, exporters.ErrFinalExportFailed) || !strings.Contains(err.Error(), "metrics") {
		t.Fatalf("Shutdown = %v, want the export error", err)
	}
}

// TestMonitorShutdownWithCollectorGone: the collector receives the first
// exports and goes away; periodic exports retry against the closed port.
// Shutdown returns within its deadline with the lost final export as
// exporters.ErrFinalExportFailed, logs it once as a warning through the
// Monitor's logger (naming the collector, not the headers), and nothing
// reaches OpenTelemetry's global error handler.
func TestMonitorShutdownWithCollectorGone(t *testing.T) {
	clearOTelEnv(t)
	prev := otel.GetErrorHandler()
	var handledMu sync.Mutex
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		handledMu.Lock()
		handled = append(handled, err)
		handledMu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	r := startReceiver(t)
	e, err := exporters.OTLP(context.Background(), exporters.WithEndpoint(r.Endpoint()),
		exporters.WithHeaders(map[string]string{"authorization": "Bearer s3cret-otlp-token"}),
		// Retries stay on: each export retries the closed port for 1s,
		// so one is in progress when Shutdown comes.
		exporters.WithInterval(50*time.Millisecond), exporters.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m, err := New(WithLogger(slog.New(slog.NewTextHandler(logs, nil))), WithoutSystemMetrics(), WithExporters(e))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := m.MeterProvider().Meter("t").Int64Counter("igmon.test.bets")
	c.Add(context.Background(), 1)
	waitPoint(t, r, func(p otlptest.Point) bool { return p.Name == "igmon.test.bets" })
	r.Stop()
	// The pipeline logs the first failed export to the stopped collector,
	// after counting it.
	wctx, wcancel := context.WithTimeout(context.Background(), eventually)
	defer wcancel()
	if err := logs.waitFor(wctx, "telemetry export failed"); err != nil {
		t.Fatalf("exports to the stopped collector never failed: %v", err)
	}
	if st := m.telemetryStatus()[0]; st.ConsecutiveFailures == 0 {
		t.Fatalf("a failed export was logged but not counted: %+v", st)
	}
	before := len(logs.String())

	const deadline = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err = m.Shutdown(ctx)
	if took := time.Since(start); took > deadline+time.Second {
		t.Errorf("Shutdown took %v with a %v deadline", took, deadline)
	}
	if !errors.Is(err, exporters.ErrFinalExportFailed) {
		t.Errorf("Shutdown = %v, want the lost final export", err)
	}
	handledMu.Lock()
	if len(handled) > 0 {
		t.Errorf("the global error handler got %v", handled)
	}
	handledMu.Unlock()

	all := logs.String()
	var exportLines []string
	for _, l := range strings.Split(strings.TrimSpace(all[before:]), "\n") {
		if strings.Contains(l, "export") {
			exportLines = append(exportLines, l)
		}
	}
	want := `level=WARN msg="igmon: final metrics export failed: collector unreachable at ` + r.Addr() + "; "
	if len(exportLines) != 1 || !strings.Contains(exportLines[0], want) || !strings.Contains(exportLines[0], " dropped\"") {
		t.Errorf("want one warning about the final export during Shutdown, got:\n%s", strings.Join(exportLines, "\n"))
	}
	if strings.Contains(all, "s3cret") {
		t.Errorf("the log carries the header:\n%s", all)
	}
}

func TestTelemetryOptionsValidation(t *testing.T) {
	clearOTelEnv(t)
	mp := sdkmetric.NewMeterProvider()
	defer mp.Shutdown(context.Background())
	stdout, err := exporters.Stdout(exporters.WithWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		opts []Option
		want string
	}{
		{[]Option{WithCardinalityLimit(-1)}, "WithCardinalityLimit"},
		{[]Option{withTelemetryWarnAfter(0)}, "withTelemetryWarnAfter"},
		{[]Option{withTelemetryLogInterval(0)}, "withTelemetryLogInterval"},
		{[]Option{WithExporters(nil)}, "WithExporters"},
		{[]Option{WithMeterProvider(mp), WithExporters(stdout)}, "WithExporters"},
	} {
		if _, err := New(append([]Option{quiet, WithoutSystemMetrics()}, tt.opts...)...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v", tt.want, err)
		}
	}
	_ = stdout.Shutdown(context.Background())
}

// New starts nothing in the background: the export loops, the checks, the
// series engine and the alert rules all begin at Start.
func TestNewStartsNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	stdout, err := exporters.Stdout(exporters.WithWriter(io.Discard), exporters.WithInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(quiet, WithExporters(stdout), WithAlerting(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Checks().Register("wallet-db", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := goleak.Find(before); err != nil {
		t.Errorf("New started goroutines before Start: %v", err)
	}
	if err := m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
