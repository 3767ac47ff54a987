package monitor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/promname"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"; sql.Open does not connect
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/notify"
	"github.com/jackcode/igmon/alerting/promrules"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/internal/buildinfo"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/probes"
)

// TestIgmonMetricsListsEverythingEmitted keeps promname.IgmonMetrics (the
// table promrules.Export translates names with) equal to what a
// Monitor really emits: a Monitor with every feature wired records into
// its in-process reader, and every collected metric must be in the table
// with the same instrument kind and unit, which decide its Prometheus name.
// A new instrument anywhere in igmon fails this test until it is listed.
func TestIgmonMetricsListsEverythingEmitted(t *testing.T) {
	emitted := metricInfos(t, emitEverything(t))

	listed := map[string]promrules.MetricInfo{}
	for _, mi := range promname.IgmonMetrics {
		listed[mi.Name] = mi
	}
	for _, name := range sortedKeys(emitted) {
		got := emitted[name]
		want, ok := listed[name]
		switch {
		case !ok:
			t.Errorf("%s (%s, unit %q) is emitted but missing from promname.IgmonMetrics", name, kindName(got.Type), got.Unit)
		case got != want:
			t.Errorf("%s: emitted as %s with unit %q (Prometheus %s), promname.IgmonMetrics says %s with unit %q (%s)",
				name, kindName(got.Type), got.Unit, promname.PrometheusMetricName(got),
				kindName(want.Type), want.Unit, promname.PrometheusMetricName(want))
		}
	}
	var unseen []string
	for _, mi := range promname.IgmonMetrics {
		if _, ok := emitted[mi.Name]; !ok {
			unseen = append(unseen, mi.Name)
		}
	}
	// Platform-dependent ones (cgroup v2, a memory limit) may be absent.
	t.Logf("listed but not emitted on this machine: %q", unseen)
}

// emitEverything wires a Monitor with every feature igmon has, makes each
// record, and returns a collection of its in-process reader that holds
// every metric the wiring emits (the export pipeline's exist only after an
// export, which it forces).
func emitEverything(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	ctx := context.Background()
	fc := clock.NewFake(alT0)

	// Alerting: a failing check fires one rule, a silence mutes another,
	// and notifications go to a webhook on loopback.
	hook := newHookReceiver(t)
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: hook.srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	errSel, err := alerting.ParseSelector(`igmon.dependency.calls{igmon.dependency.outcome="error"}`)
	if err != nil {
		t.Fatal(err)
	}
	total, err := alerting.ParseSelector(`igmon.dependency.calls`)
	if err != nil {
		t.Fatal(err)
	}
	rules := []alerting.Rule{
		{Name: "KYCDown", Condition: &alerting.CheckState{Checks: []string{"kyc-vendor"}, States: []string{"warn", "fail"}}, Labels: map[string]string{"severity": "page"}},
		{Name: "KYCDownMuted", Condition: &alerting.CheckState{Checks: []string{"kyc-vendor"}, States: []string{"warn", "fail"}}, Labels: map[string]string{"severity": "ticket"}},
		{Name: "PaymentErrors", Condition: &alerting.Ratio{Numerator: errSel, Denominator: total, Window: time.Minute, Value: 0.5}},
	}

	// Push exporters, one of them failing, so the export pipeline records
	// its own metrics, failures included. The Monitor is not started: no
	// export loop runs, the test forces one export below.
	exp, err := exporters.Stdout(exporters.WithWriter(io.Discard), exporters.WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	down, err := stdoutmetric.New(stdoutmetric.WithWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	failing, err := exporters.NewPush("collector", collectorDown{down}, exporters.WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// What an exporter sees: the in-process reader aggregates histograms
	// exponentially for the series engine, exporters keep the buckets.
	exported := sdkmetric.NewManualReader()
	m, err := New(quiet, WithServiceName("casino"), WithExporters(exp, failing), withReader(t, exported),
		WithRegistryOptions(checkstest.WithClock(fc)),
		WithAction(Action{Name: "page-kyc-vendor", Rule: "KYCDown", Mode: ActionDryRun, Run: func(context.Context, alerting.Alert) error { return nil }}),
		WithAlerting(rules, alertClock(fc),
			dispatch.WithReceiver(dispatch.Receiver{Name: "oncall", Notifier: wh, MaxAttempts: 1}),
			dispatch.WithRoute(dispatch.Route{Receivers: []string{"oncall"}, GroupBy: []string{alerting.LabelAlertName},
				GroupWait: time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour}),
		))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(ctx)

	// Checks: one passing, one failing (non-critical: it warns).
	if err := m.Checks().Register("wallet-db", func(context.Context) error { return nil }, checks.WithComponentType("datastore")); err != nil {
		t.Fatal(err)
	}
	if err := m.Checks().Register("kyc-vendor", func(context.Context) error { return errors.New("kyc vendor unreachable") }, checks.WithCritical(false)); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(ctx, checks.Readiness)

	// A payment provider through the dependency transport, a tracked call,
	// and the server middleware around the API that calls them.
	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	defer psp.Close()
	stripe := mustDep(t, m, instrument.KindPayment, "stripe")
	client := &http.Client{Transport: stripe.Transport(nil)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/deposits", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Get(psp.URL + "/v1/payment_intents")
		if err != nil {
			http.Error(w, "psp", http.StatusBadGateway)
			return
		}
		resp.Body.Close()
	})
	api, err := m.Middleware(mux)
	if err != nil {
		t.Fatal(err)
	}
	api.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/api/deposits", nil))
	if err := stripe.Track(ctx, "refund", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// Deposits fail over from stripe to adyen: breaker, route and calls.
	adyen := mustDep(t, m, instrument.KindPayment, "adyen")
	deposits, err := m.Failover("deposits", []*instrument.Dependency{stripe, adyen})
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		_ = deposits.Do(ctx, func(_ context.Context, p string) error {
			if p == "stripe" {
				return errors.New("HTTP 503")
			}
			return nil
		})
	}

	// A database pool (sql.Open does not connect: the counters read zero).
	db, err := sql.Open("pgx", "postgres://igmon@127.0.0.1:1/wallet")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(5)
	if err := m.DBPool("wallet", db, probes.WithIdleMax(5)); err != nil {
		t.Fatal(err)
	}

	// Synthetic probes: HTTP, TLS (certificate expiry) and DNS (lookup
	// duration), run once each.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	var synth []*probes.Probe
	for _, mk := range []func() (*probes.Probe, error){
		func() (*probes.Probe, error) {
			return probes.HTTP(m.MeterProvider(), "stripe-health", psp.URL+"/health")
		},
		func() (*probes.Probe, error) {
			return probes.TLS(m.MeterProvider(), "psp-tls", tlsSrv.Listener.Addr().String(), probes.WithTLSConfig(&tls.Config{RootCAs: pool}))
		},
		func() (*probes.Probe, error) { return probes.DNS(m.MeterProvider(), "resolver", "localhost") },
	} {
		p, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		if err := m.AddProbe(p); err != nil {
			t.Fatal(err)
		}
		synth = append(synth, p)
	}
	for _, p := range synth {
		if r := p.Run(ctx); !r.Success {
			t.Fatalf("probe %s: %s %s", p.Name(), r.Reason, r.Error)
		}
	}

	// Alerting: the first cycle fires the check rules, a silence mutes
	// one, and the dispatcher notifies after group_wait.
	if _, err := m.Silences().Add(dispatch.Silence{Matchers: mustMatchers(t, `alertname="KYCDownMuted"`),
		EndsAt: alT0.Add(time.Hour), CreatedBy: "test", Comment: "muted to count suppression"}); err != nil {
		t.Fatal(err)
	}
	alertState(t, m, "KYCDown", alerting.StateFiring)
	fc.Advance(2 * time.Second)
	deliver(t, m)
	if msgs := hook.take(); len(msgs) != 1 || msgs[0].Alerts[0].Labels[alerting.LabelAlertName] != "KYCDown" {
		t.Fatalf("notifications %+v, want one for KYCDown", msgs)
	}

	// One export per push exporter, made now (the export pipeline's
	// metrics exist only after an export): the failing one fails.
	_ = m.ownMP.ForceFlush(ctx) // the failing exporter's error
	if st := m.telemetryStatus(); len(st) != 2 || st[0].LastSuccess.IsZero() || st[1].Failures != 1 {
		t.Fatalf("export status %+v, want one success and one failure", st)
	}
	want := []string{
		igsemconv.MetricHTTPServerDuration, igsemconv.MetricHTTPServerActive, igsemconv.MetricHTTPClientDuration,
		igsemconv.MetricDependencyCalls, igsemconv.MetricDependencyDuration, igsemconv.MetricDependencyInFlight,
		igsemconv.MetricCheckStatus, igsemconv.MetricCheckDuration, igsemconv.MetricCheckTransitions, igsemconv.MetricCheckAge,
		"system.cpu.time", "system.memory.usage", "system.filesystem.utilization",
		"process.cpu.time", "process.memory.usage", "go.goroutine.count", "go.memory.used",
		"db.client.connection.count", "db.client.connection.max", "db.client.connection.idle.max", igsemconv.MetricDBWaitCount,
		igsemconv.MetricProbeSuccess, igsemconv.MetricProbeDuration, igsemconv.MetricProbePhaseDuration,
		igsemconv.MetricProbeCertExpiry, igsemconv.MetricDNSLookupDuration,
		"igmon.alerts", "igmon.alert.evaluation.duration", "igmon.alert.series",
		"igmon.alert.notifications", "igmon.alert.suppressed",
		igsemconv.MetricDataPointsExported, igsemconv.MetricExportDuration, igsemconv.MetricExportFailures,
	}
	var rm metricdata.ResourceMetrics
	if err := exported.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	emitted := metricInfos(t, rm)
	if missing := slices.DeleteFunc(slices.Clone(want), func(n string) bool { _, ok := emitted[n]; return ok }); len(missing) > 0 {
		t.Fatalf("never collected %q; the wiring above should emit them", missing)
	}
	return rm
}

// collectorDown is a push exporter whose every export fails, like one
// pointed at a collector that is down.
type collectorDown struct{ sdkmetric.Exporter }

func (collectorDown) Export(context.Context, *metricdata.ResourceMetrics) error {
	return errors.New("connection refused")
}

// metricInfos turns a collection into name → kind and unit, as the
// Prometheus translation sees them.
func metricInfos(t *testing.T, rm metricdata.ResourceMetrics) map[string]promrules.MetricInfo {
	t.Helper()
	out := map[string]promrules.MetricInfo{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			info, ok := promrules.MetricInfoOf(md)
			if !ok {
				t.Errorf("%s: data type %T has no Prometheus rule translation", md.Name, md.Data)
				continue
			}
			if prev, dup := out[md.Name]; dup && prev != info {
				t.Errorf("%s is emitted twice, as %+v and %+v", md.Name, prev, info)
			}
			out[md.Name] = info
		}
	}
	return out
}

func kindName(k promrules.MetricType) string {
	switch k {
	case promrules.TypeGauge:
		return "gauge"
	case promrules.TypeCounter:
		return "counter"
	case promrules.TypeUpDownCounter:
		return "up-down counter"
	case promrules.TypeHistogram:
		return "histogram"
	}
	return "unknown"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func mustMatchers(t *testing.T, s string) alerting.Matchers {
	t.Helper()
	ms, err := alerting.ParseMatchers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestIgmonScopesCarryVersionAndSchemaURL: every instrumentation scope
// igmon records under names igmon's module version and the schema URL of
// the semantic conventions its names follow.
func TestIgmonScopesCarryVersionAndSchemaURL(t *testing.T) {
	rm := emitEverything(t)
	seen := map[string]int{}
	for _, sm := range rm.ScopeMetrics {
		sc := sm.Scope
		if !strings.HasPrefix(sc.Name, buildinfo.ModulePath+"/") {
			continue // not igmon's (the SDK's own, when switched on)
		}
		seen[sc.Name]++
		if sc.Version == "" || sc.Version != buildinfo.Version() {
			t.Errorf("scope %s: version %q, want igmon's %q", sc.Name, sc.Version, buildinfo.Version())
		}
		if sc.SchemaURL != buildinfo.SchemaURL {
			t.Errorf("scope %s: schema URL %q, want %q", sc.Name, sc.SchemaURL, buildinfo.SchemaURL)
		}
	}
	for _, name := range []string{scopeName, buildinfo.ModulePath + "/checks", buildinfo.ModulePath + "/probes", buildinfo.ModulePath + "/exporters", buildinfo.ModulePath + "/alerting", buildinfo.ModulePath + "/alerting/dispatch", buildinfo.ModulePath + "/failover"} {
		// More than once is fine: probes.RuntimeProducer's metrics come
		// as a scope of their own.
		if seen[name] == 0 {
			t.Errorf("scope %s emitted nothing; the wiring should make it record", name)
		}
	}
	if ref := metricsReference(t); !strings.Contains(ref, "`"+buildinfo.SchemaURL+"`") {
		t.Errorf("the metrics reference (docs/metrics.md) does not name the schema URL %s", buildinfo.SchemaURL)
	}
}

// semconvKeys are the semantic-convention attribute keys igmon records,
// taken from the semconv package of the schema version igmon declares, so
// that a key the conventions do not define does not compile.
var semconvKeys = map[attribute.Key]bool{
	semconv.ErrorTypeKey: true,
	// HTTP client and server.
	semconv.HTTPRequestMethodKey: true, semconv.HTTPResponseStatusCodeKey: true, semconv.HTTPRouteKey: true,
	semconv.URLSchemeKey: true, semconv.ServerAddressKey: true, semconv.ServerPortKey: true,
	semconv.NetworkProtocolVersionKey: true,
	// Host, process and runtime.
	semconv.CPUModeKey: true, semconv.SystemMemoryStateKey: true, semconv.GoMemoryTypeKey: true,
	semconv.NetworkInterfaceNameKey: true, semconv.NetworkIODirectionKey: true,
	semconv.SystemDeviceKey: true, semconv.SystemFilesystemMountpointKey: true,
	semconv.SystemFilesystemTypeKey: true, semconv.SystemFilesystemStateKey: true,
	// Database pools, DNS, the export pipeline.
	semconv.DBClientConnectionPoolNameKey: true, semconv.DBClientConnectionStateKey: true,
	semconv.DNSQuestionNameKey:   true,
	semconv.OTelComponentNameKey: true, semconv.OTelComponentTypeKey: true,
}

// TestIgmonAttributeKeysAreNamespaced walks every data point igmon emits:
// each attribute key is a semantic-convention key or starts with "igmon.",
// and the metrics reference (docs/metrics.md) lists it. The exported key constants,
// including those of attributes the wiring does not produce (failure
// reasons), are held to the same rule.
func TestIgmonAttributeKeysAreNamespaced(t *testing.T) {
	namespaced := func(k attribute.Key) bool { return semconvKeys[k] || strings.HasPrefix(string(k), "igmon.") }
	ref := metricsReference(t)
	used := map[string][]string{} // key → metrics carrying it
	for _, sm := range emitEverything(t).ScopeMetrics {
		if !strings.HasPrefix(sm.Scope.Name, buildinfo.ModulePath+"/") {
			continue
		}
		for _, md := range sm.Metrics {
			for _, set := range pointAttributes(md) {
				for _, kv := range set.ToSlice() {
					if k := string(kv.Key); !slices.Contains(used[k], md.Name) {
						used[k] = append(used[k], md.Name)
					}
				}
			}
		}
	}
	for _, k := range sortedKeys(used) {
		if !namespaced(attribute.Key(k)) {
			t.Errorf("attribute %q (on %v) is neither a semantic-convention key nor igmon.-prefixed", k, used[k])
		}
		if !strings.Contains(ref, "`"+k+"`") {
			t.Errorf("attribute %q (on %v) is missing from the metrics reference (docs/metrics.md)", k, used[k])
		}
	}
	if len(used) == 0 {
		t.Fatal("no attributes collected")
	}
	for _, k := range []string{
		igsemconv.AttrDependencyKind, igsemconv.AttrDependencyName, igsemconv.AttrDependencyOperation, igsemconv.AttrDependencyOutcome,
		igsemconv.AttrCheckName, igsemconv.AttrCheckState, igsemconv.AttrComponentType,
		igsemconv.AttrProbeName, igsemconv.AttrProbeKind, igsemconv.AttrProbePhase, igsemconv.AttrFailureReason, igsemconv.AttrDBCloseReason,
		"igmon.alert.rule", "igmon.alert.state", "igmon.alert.receiver", "igmon.alert.notification.outcome", "igmon.alert.suppression.reason",
	} {
		if !namespaced(attribute.Key(k)) {
			t.Errorf("key constant %q is neither a semantic-convention key nor igmon.-prefixed", k)
		}
		if !strings.Contains(ref, "`"+k+"`") {
			t.Errorf("key constant %q is missing from the metrics reference (docs/metrics.md)", k)
		}
	}
}

// pointAttributes returns the attribute set of every data point of md.
func pointAttributes(md metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	add := func(s attribute.Set) { out = append(out, s) }
	switch d := md.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.Sum[float64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.Histogram[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.ExponentialHistogram[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.ExponentialHistogram[float64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.Summary:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	}
	return out
}

// metricsReference returns the metrics reference, docs/metrics.md (the
// README links to it).
func metricsReference(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if !strings.HasPrefix(doc, "# Metrics reference\n") {
		t.Fatal(`docs/metrics.md does not start with "# Metrics reference"`)
	}
	return doc
}
