package prometheus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/promname"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/promrules"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/monitor"
	"github.com/jackcode/igmon/probes"
)

// nopDriver is a database/sql driver that never connects: sql.Open does
// not connect either, so a pool probe reads zeros, which is all the
// scrape needs.
type nopDriver struct{}

func (nopDriver) Open(string) (driver.Conn, error) { return nil, errors.New("no database") }

func init() { sql.Register("igmon-nop", nopDriver{}) }

// collectorDown is a push exporter whose every export fails, so the
// export pipeline records its failures too. It signals every export.
type collectorDown struct {
	sdkmetric.Exporter
	signal func()
}

func (c collectorDown) Export(context.Context, *metricdata.ResourceMetrics) error {
	c.signal()
	return errors.New("connection refused")
}

// signalWriter signals every write: the stdout exporter writes once per
// export.
type signalWriter func()

func (w signalWriter) Write(p []byte) (int, error) {
	w()
	return len(p), nil
}

// exportSignal returns a channel that receives when an export begins
// (coalesced), and the function that sends on it.
func exportSignal() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	return ch, func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// igmonMonitor builds a Monitor that serves its metrics through a
// Prometheus exporter, with every igmon feature wired and used once:
// checks (one failing), a dependency through its transport and Track, the
// server middleware, a database pool, HTTP, TLS and DNS probes, an alert
// rule that fires, and two push exporters (one failing). It returns when
// the in-process collection holds every metric that wiring emits. Metrics
// of promname.IgmonMetrics that this machine does not emit (cgroup v2, a
// memory limit) or that need more than one cycle (notifications) are then
// recorded once, synthetically, with their kind and unit, so that a scrape
// carries every name igmon can emit. It returns what was synthesized.
func igmonMonitor(t *testing.T, opts ...Option) (*Exporter, *monitor.Monitor, []string) {
	t.Helper()
	ctx := context.Background()
	prom, err := New(append([]Option{WithProducers(probes.RuntimeProducer())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	exported, signal := exportSignal()
	stdout, err := exporters.Stdout(exporters.WithWriter(signalWriter(signal)), exporters.WithInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	down, err := stdoutmetric.New(stdoutmetric.WithWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	failing, err := exporters.NewPush("collector", collectorDown{down, signal}, exporters.WithInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rules := []alerting.Rule{{Name: "KYCDown", Condition: &alerting.CheckState{Checks: []string{"kyc-vendor"}, States: []string{"warn", "fail"}}}}
	m, err := monitor.New(monitor.WithServiceName("casino"), monitor.WithLogger(slog.New(slog.DiscardHandler)),
		monitor.WithExporters(prom.Exporter(), stdout, failing), monitor.WithAlerting(rules))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(context.Background()) })
	// The export loops (and with them the exporters' own metrics) begin
	// at Start: New runs nothing in the background.
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}

	if err := m.Checks().Register("wallet-db", func(context.Context) error { return nil }, checks.WithComponentType("datastore")); err != nil {
		t.Fatal(err)
	}
	if err := m.Checks().Register("kyc-vendor", func(context.Context) error { return errors.New("unreachable") }, checks.WithCritical(false)); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(ctx, checks.Readiness)

	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	t.Cleanup(psp.Close)
	stripe, err := m.Dependency(instrument.KindPayment, "stripe")
	if err != nil {
		t.Fatal(err)
	}
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

	db, err := sql.Open("igmon-nop", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(10)
	if err := m.DBPool("wallet", db, probes.WithIdleMax(5)); err != nil {
		t.Fatal(err)
	}

	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
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
		if r := p.Run(ctx); !r.Success {
			t.Fatalf("probe %s: %s %s", p.Name(), r.Reason, r.Error)
		}
	}

	// One evaluation cycle (alert metrics), and collections until the
	// push exporters have exported once (their metrics exist only then)
	// and the CPU utilizations have a second sample, which takes real
	// time (minUtilWindow of wall time and CPU counters that moved): the
	// collection is retried when an export begins (a reader's cycles are
	// sequential, so the one before has recorded its metrics), never on a
	// timer; the deadline only fires on failure.
	want := []string{
		"http.server.request.duration", "http.client.request.duration", "igmon.dependency.calls",
		"igmon.check.status", "system.cpu.time", "process.cpu.time", "go.goroutine.count",
		// Utilizations need a second sample: a second collection.
		"system.cpu.utilization", "process.cpu.utilization",
		"db.client.connection.count", "igmon.probe.tls.cert.expiry", "dns.lookup.duration",
		"igmon.alerts", "igmon.alert.evaluation.duration", "igmon.alert.series",
		igsemconv.MetricDataPointsExported, igsemconv.MetricExportDuration, igsemconv.MetricExportFailures,
	}
	var emitted map[string]bool
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		rm, err := m.Metrics().Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		emitted = map[string]bool{}
		for _, sm := range rm.ScopeMetrics {
			for _, md := range sm.Metrics {
				emitted[md.Name] = true
			}
		}
		missing := slices.DeleteFunc(slices.Clone(want), func(n string) bool { return emitted[n] })
		if len(missing) == 0 {
			break
		}
		select {
		case <-exported:
		case <-deadline.C:
			t.Fatalf("never collected %q", missing)
		}
	}

	var synthesized []string
	meter := m.MeterProvider().Meter("github.com/jackcode/igmon/exporters/prometheus/test")
	for _, mi := range promname.IgmonMetrics {
		if emitted[mi.Name] {
			continue
		}
		synthesized = append(synthesized, mi.Name)
		desc := metric.WithDescription("Recorded by the test: not emitted on this machine.")
		unit := metric.WithUnit(mi.Unit)
		var err error
		switch mi.Type {
		case promrules.TypeGauge:
			var g metric.Float64Gauge
			if g, err = meter.Float64Gauge(mi.Name, desc, unit); err == nil {
				g.Record(ctx, 1)
			}
		case promrules.TypeCounter:
			var c metric.Float64Counter
			if c, err = meter.Float64Counter(mi.Name, desc, unit); err == nil {
				c.Add(ctx, 1)
			}
		case promrules.TypeUpDownCounter:
			var c metric.Int64UpDownCounter
			if c, err = meter.Int64UpDownCounter(mi.Name, desc, unit); err == nil {
				c.Add(ctx, 1)
			}
		case promrules.TypeHistogram:
			var h metric.Float64Histogram
			if h, err = meter.Float64Histogram(mi.Name, desc, unit); err == nil {
				h.Record(ctx, 0.1)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return prom, m, synthesized
}
