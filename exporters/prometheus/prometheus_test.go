package prometheus

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	promclient "github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/jackcode/igmon/exporters"
)

func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("text format does not parse: %v", err)
	}
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestScrape(t *testing.T) {
	prom, err := New()
	if err != nil {
		t.Fatal(err)
	}
	p, err := exporters.NewPipeline([]*exporters.Exporter{prom.Exporter()})
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "wallet"), attribute.String("service.instance.id", "w-1"))
	opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	for _, r := range p.Readers() {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	mp := sdkmetric.NewMeterProvider(opts...)
	defer mp.Shutdown(context.Background())
	m := exporters.BucketAdvice(mp).Meter("casino")
	ctx := context.Background()
	bets, _ := m.Int64Counter("casino.bets", metric.WithUnit("{bet}"))
	dur, _ := m.Float64Histogram("http.client.request.duration", metric.WithUnit("s"))
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("server.address", "psp.example")))
	bets.Add(ctx, 7, set)
	dur.Record(ctx, 0.03, set)
	dur.Record(ctx, 3, set)

	fams := scrape(t, prom.Handler())
	b := fams["casino_bets_total"]
	if b == nil || b.GetType() != dto.MetricType_COUNTER {
		t.Fatalf("casino_bets_total missing or not a counter; families: %v", keys(fams))
	}
	if v := b.GetMetric()[0].GetCounter().GetValue(); v != 7 || label(b.GetMetric()[0], "server_address") != "psp.example" {
		t.Fatalf("casino_bets_total = %v %v", v, b.GetMetric()[0].GetLabel())
	}
	h := fams["http_client_request_duration_seconds"]
	if h == nil || h.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("histogram missing; families: %v", keys(fams))
	}
	hist := h.GetMetric()[0].GetHistogram()
	if hist.GetSampleCount() != 2 || hist.GetSampleSum() != 3.03 {
		t.Fatalf("histogram count=%d sum=%v", hist.GetSampleCount(), hist.GetSampleSum())
	}
	want := []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, math.Inf(1)}
	if n := len(hist.GetBucket()); n != len(want) {
		t.Fatalf("%d buckets, want the %d semconv ones and +Inf", n, len(want)-1)
	}
	for i, bk := range hist.GetBucket() {
		if bk.GetUpperBound() != want[i] {
			t.Fatalf("bucket %d le=%v, want %v", i, bk.GetUpperBound(), want[i])
		}
	}
	ti := fams["target_info"]
	if ti == nil || label(ti.GetMetric()[0], "service_name") != "wallet" || label(ti.GetMetric()[0], "service_instance_id") != "w-1" {
		t.Fatalf("target_info = %v", ti)
	}

	// The global registry is untouched.
	global, err := promclient.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range global {
		if f.GetName() == "casino_bets_total" {
			t.Fatal("metrics leaked into prometheus.DefaultRegisterer")
		}
	}
}

func TestTwoExportersDoNotCollide(t *testing.T) {
	for range 2 {
		prom, err := New(WithNamespace("igmon"), WithoutTargetInfo())
		if err != nil {
			t.Fatalf("a second exporter failed (shared registry?): %v", err)
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(readerOf(t, prom)))
		c, _ := mp.Meter("t").Int64Counter("spins")
		c.Add(context.Background(), 1)
		fams := scrape(t, prom.Handler())
		if fams["igmon_spins_total"] == nil || fams["target_info"] != nil {
			t.Fatalf("families %v", keys(fams))
		}
		_ = mp.Shutdown(context.Background())
	}
}

func readerOf(t *testing.T, prom *Exporter) sdkmetric.Reader {
	p, err := exporters.NewPipeline([]*exporters.Exporter{prom.Exporter()})
	if err != nil {
		t.Fatal(err)
	}
	return p.Readers()[0]
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Option{WithNamespace(""), WithMaxInFlight(0), WithName("a b")} {
		if _, err := New(o); !errors.Is(err, exporters.ErrInvalidOption) {
			t.Errorf("err = %v", err)
		}
	}
}

func keys(m map[string]*dto.MetricFamily) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
