package monitor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
)

var quiet = WithLogger(slog.New(slog.DiscardHandler))

func TestNewRejectsInvalidOptions(t *testing.T) {
	mp := sdkmetric.NewMeterProvider()
	defer mp.Shutdown(context.Background())
	tests := []struct {
		opt  Option
		want string
	}{
		{WithServiceName(""), "WithServiceName"},
		{WithMeterProvider(nil), "WithMeterProvider"},
		{WithLogger(nil), "WithLogger"},
		{WithAuthorizer(nil), "WithAuthorizer"},
		{WithRegistryOptions(checks.WithDrainDelay(-time.Second)), "WithRegistryOptions: checks: WithDrainDelay"},
		{WithRegistryOptions(checks.WithConcurrency(0)), "WithConcurrency"},
		// The Monitor sets the registry's logger: a second one is refused.
		{WithRegistryOptions(checks.WithLogger(slog.Default())), "WithLogger: given twice"},
		// The same for the alerting options the Monitor sets, whichever
		// constructor they belong to.
		{WithAlerting(nil, alerting.WithLogger(slog.Default())), "WithLogger given more than once"},
		{WithAlerting(nil, alerting.WithSink(nil)), "NewEvaluator: WithSink given more than once"},
		{WithAlerting(nil, alerting.WithMaxSeries(10), nil), "WithAlerting: option #1 is nil"},
	}
	for _, tt := range tests {
		if _, err := New(tt.opt); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("option %s: error %v", tt.want, err)
		}
	}
}

func TestServiceIdentityFromEnv(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,service.version=9.9.9,deployment.environment.name=staging,brand=luckyspin")
	m, err := New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	if m.cfg.serviceName != "from-attrs" || m.cfg.serviceVersion != "9.9.9" || m.cfg.environment != "staging" {
		t.Fatalf("identity %q %q %q", m.cfg.serviceName, m.cfg.serviceVersion, m.cfg.environment)
	}
	if v, ok := m.resource.Set().Value("brand"); !ok || v.AsString() != "luckyspin" {
		t.Fatal("OTEL_RESOURCE_ATTRIBUTES not in resource")
	}
	if v, ok := m.resource.Set().Value("service.instance.id"); !ok || len(v.AsString()) != 36 {
		t.Fatalf("service.instance.id %q", v.AsString())
	}

	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	m2, err := New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown(context.Background())
	if m2.cfg.serviceName != "from-env" {
		t.Fatalf("OTEL_SERVICE_NAME must win over OTEL_RESOURCE_ATTRIBUTES: %q", m2.cfg.serviceName)
	}

	m3, err := New(quiet, WithServiceName("wallet"), WithServiceVersion("1.0.0"), WithEnvironment("prod"))
	if err != nil {
		t.Fatal(err)
	}
	defer m3.Shutdown(context.Background())
	if m3.cfg.serviceName != "wallet" || m3.cfg.serviceVersion != "1.0.0" || m3.cfg.environment != "prod" {
		t.Fatalf("options must win over env: %q %q %q", m3.cfg.serviceName, m3.cfg.serviceVersion, m3.cfg.environment)
	}
}

func TestMonitorServesHealthAndMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	m, err := New(quiet, WithServiceName("wallet"), WithServiceVersion("1.4.2"), withReader(t, reader),
		WithRegistryOptions(checks.WithDrainDelay(200*time.Millisecond)), WithAuthorizer(checks.BearerToken("t")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Checks().Register("ping", func(context.Context) error { return nil }, checks.WithEndpoints(checks.Liveness|checks.Readiness)); err != nil {
		t.Fatal(err)
	}
	c, _ := checks.NewCheck("kyc", func(context.Context) error { return errors.New("sumsub 503") }, checks.WithCritical(false))
	if err := m.Add(c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	get := func(path string, hdr ...string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if code, body := get("/readyz"); code != 200 || body != "ok" {
		t.Fatalf("readyz %d %q", code, body)
	}
	if code, body := get("/healthz", "Accept", "application/health+json"); code != 200 ||
		!strings.Contains(body, `"serviceId":"wallet"`) || !strings.Contains(body, `"version":"1.4.2"`) || !strings.Contains(body, `"status":"warn"`) {
		t.Fatalf("healthz json %d %s", code, body)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	if v, ok := rm.Resource.Set().Value("service.name"); !ok || v.AsString() != "wallet" {
		t.Fatalf("resource service.name %v", v)
	}
	names := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			names[md.Name] = true
		}
	}
	if !names[igsemconv.MetricCheckStatus] || !names[igsemconv.MetricCheckDuration] {
		t.Fatalf("check metrics missing from the Monitor's provider: %v", names)
	}

	// Shutdown: readiness fails at once, liveness stays green until the
	// drain delay has passed.
	done := make(chan error, 1)
	go func() { done <- m.Shutdown(ctx) }()
	<-m.Checks().DrainStarted()
	if code, _ := get("/readyz"); code != 503 {
		t.Fatalf("readyz during shutdown %d", code)
	}
	if code, _ := get("/livez"); code != 200 {
		t.Fatalf("livez during shutdown %d", code)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err == nil {
		t.Fatal("Start after Shutdown must fail")
	}
}

func TestShutdownRespectsDeadline(t *testing.T) {
	m, err := New(quiet, WithRegistryOptions(checks.WithDrainDelay(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = m.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a 1h drain delay and a 50ms deadline: %v", err)
	}
}

func TestMonitorEventsRecordTransitionsAndOverrides(t *testing.T) {
	m, err := New(quiet, WithEventCapacity(50))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	_ = m.Checks().Register("wallet-db", func(context.Context) error { return errors.New("dial postgres://u:pw@db: refused") })
	_ = m.Checks().Register("pragmatic", func(context.Context) error { return nil })
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	if err := m.Checks().Override("pragmatic", checks.StatusFail, "provider maintenance", "ops@10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	db := m.events.Query(eventQuery{Component: "wallet-db", Kind: eventCheck})
	if len(db) != 1 || db[0].Severity != severityCritical || !strings.Contains(db[0].Message, "refused") || strings.Contains(db[0].Message, "pw@") {
		t.Fatalf("wallet-db events %+v", db)
	}
	ov := m.events.Query(eventQuery{Component: "pragmatic", Kind: eventOverride})
	if len(ov) != 1 || ov[0].Attrs["by"] != "ops@10.0.0.1" {
		t.Fatalf("override events %+v", ov)
	}
	// The override also changed the check's status: a transition event.
	if tr := m.events.Query(eventQuery{Component: "pragmatic", Kind: eventCheck}); len(tr) != 2 {
		t.Fatalf("pragmatic transitions %+v", tr)
	}
	// Overrides that change no status, and clearing one, are audited too.
	if err := m.Checks().Override("pragmatic", checks.StatusFail, "extended", "ops-bob"); err != nil {
		t.Fatal(err)
	}
	if err := m.Checks().ClearOverride("pragmatic", "maintenance over", "ops-bob"); err != nil {
		t.Fatal(err)
	}
	ov = m.events.Query(eventQuery{Component: "pragmatic", Kind: eventOverride})
	if len(ov) != 3 || ov[1].Attrs["by"] != "ops-bob" || ov[1].Attrs["reason"] != "extended" ||
		ov[2].Severity != severityInfo || !strings.Contains(ov[2].Message, "cleared") {
		t.Fatalf("override events %+v", ov)
	}
	if _, err := New(WithEventCapacity(0)); err == nil || !strings.Contains(err.Error(), "WithEventCapacity") {
		t.Fatalf("capacity 0: %v", err)
	}
}
