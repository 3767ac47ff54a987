package prometheus

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jackcode/igmon/alerting/promrules"
	"github.com/jackcode/igmon/internal/promname"
	"github.com/jackcode/igmon/internal/tooltest"
	"github.com/jackcode/igmon/monitor"
)

// Accept headers of a scraper that asks for each format.
const (
	acceptText        = "text/plain;version=0.0.4"
	acceptOpenMetrics = "application/openmetrics-text;version=1.0.0"
)

// get scrapes h with the given Accept header ("": none) and returns the
// body and its Content-Type.
func get(t *testing.T, h http.Handler, accept string) (string, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape status %d: %s", resp.StatusCode, body)
	}
	return string(body), resp.Header.Get("Content-Type")
}

// countGauges are the Prometheus names promtool check metrics flags on
// igmon's scrape: gauges whose OTel semantic-convention name ends in
// .count (an UpDownCounter of things, go.goroutine.count), which the
// OTel→Prometheus translation turns into a gauge ending in _count, the
// suffix Prometheus reserves for histograms and summaries. They keep the
// translated name on purpose (docs/metrics.md, Names in Prometheus): it is the name
// the OTLP path stores too (Prometheus' OTLP receiver, the Collector's
// prometheusremotewrite), so one rule file and one dashboard work for a
// fleet however it collects.
func countGauges() map[string]bool {
	out := map[string]bool{}
	for _, m := range promname.IgmonMetrics {
		if (m.Type == promrules.TypeGauge || m.Type == promrules.TypeUpDownCounter) && strings.HasSuffix(m.Name, ".count") {
			out[promname.PrometheusMetricName(m)] = true
		}
	}
	return out
}

const countFinding = `non-histogram and non-summary metrics should not have "_count" suffix`

// TestPromtoolCheckMetrics lints a real scrape of every metric igmon
// emits with the real promtool (check metrics reads stdin): no finding
// but the documented _count gauges, each listed with its reason in the
// Names in Prometheus section of docs/metrics.md, and no parse error.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := tooltest.Path(t, tooltest.Promtool)
	prom, _, synthesized := igmonMonitor(t)
	t.Logf("recorded by the test (not emitted on this machine): %q", synthesized)
	body, ctype := get(t, prom.Handler(), acceptText)
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("Content-Type %q, want the text format", ctype)
	}

	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 3: // lint findings only
	default:
		t.Fatalf("promtool check metrics: %v\n%s", err, stderr.String())
	}

	allowed := countGauges()
	var flagged []string
	for line := range strings.Lines(stderr.String()) {
		name, text, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name == "" {
			continue
		}
		if !allowed[name] || text != countFinding {
			t.Errorf("promtool check metrics: %s %s", name, text)
			continue
		}
		flagged = append(flagged, name)
	}
	t.Logf("documented _count gauges promtool flags: %q", flagged)

	readme, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	// The paragraph that explains the finding names every gauge it is about.
	var explained string
	for p := range strings.SplitSeq(section(string(readme), "## Names in Prometheus"), "\n\n") {
		if strings.Contains(p, "promtool check metrics") {
			explained += p
		}
	}
	for name := range allowed {
		if !strings.Contains(explained, "`"+name+"`") {
			t.Errorf("docs/metrics.md, Names in Prometheus: %s is not named where the promtool check metrics finding is explained", name)
		}
	}
}

// section returns the document text from heading to the next heading of the
// same or a higher level.
func section(readme, heading string) string {
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := readme[i+1+len(heading):]
	level := strings.Repeat("#", strings.IndexByte(heading, ' '))
	for j := 0; j < len(rest); {
		k := strings.Index(rest[j:], "\n#")
		if k < 0 {
			break
		}
		j += k + 1
		hashes := len(rest[j:]) - len(strings.TrimLeft(rest[j:], "#"))
		if hashes <= len(level) {
			return rest[:j]
		}
	}
	return rest
}

// TestScrapeNamesAreTheRuleExportNames: every metric igmon emits is in the
// scrape under the name promname.PrometheusMetricName gives it, which is
// what exported rules (promrules.Export) and the table in
// docs/metrics.md use, so a Prometheus that scrapes /metrics evaluates them as one
// that receives OTLP does.
func TestScrapeNamesAreTheRuleExportNames(t *testing.T) {
	prom, _, _ := igmonMonitor(t)
	fams := scrape(t, prom.Handler())
	for _, m := range promname.IgmonMetrics {
		name := promname.PrometheusMetricName(m)
		f := fams[name]
		if f == nil {
			t.Errorf("%s: no %s in the scrape", m.Name, name)
			continue
		}
		want := map[promrules.MetricType]dto.MetricType{promrules.TypeGauge: dto.MetricType_GAUGE, promrules.TypeUpDownCounter: dto.MetricType_GAUGE,
			promrules.TypeCounter: dto.MetricType_COUNTER, promrules.TypeHistogram: dto.MetricType_HISTOGRAM}[m.Type]
		if f.GetType() != want {
			t.Errorf("%s: %s is a %v, want %v", m.Name, name, f.GetType(), want)
		}
	}
}

// TestOpenMetricsExemplars: a scraper that asks for OpenMetrics gets it,
// with the exemplar of an observation made inside a sampled span (its
// trace_id) on the histogram bucket and the counter; one that does not
// ask still gets the text format, without exemplars.
func TestOpenMetricsExemplars(t *testing.T) {
	ctx := context.Background()
	prom, err := New(WithoutTargetInfo())
	if err != nil {
		t.Fatal(err)
	}
	m, err := monitor.New(monitor.WithServiceName("wallet"), monitor.WithoutSystemMetrics(),
		monitor.WithLogger(slog.New(slog.DiscardHandler)), monitor.WithExporters(prom.Exporter()))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(ctx)
	tp := sdktrace.NewTracerProvider() // samples every root span
	defer tp.Shutdown(ctx)

	meter := m.MeterProvider().Meter("casino")
	dur, err := meter.Float64Histogram("casino.spin.duration", metric.WithUnit("s"), metric.WithDescription("Spin time."),
		metric.WithExplicitBucketBoundaries(0.1, 1, 10))
	if err != nil {
		t.Fatal(err)
	}
	spins, err := meter.Int64Counter("casino.spins", metric.WithUnit("{spin}"), metric.WithDescription("Spins."))
	if err != nil {
		t.Fatal(err)
	}
	sctx, span := tp.Tracer("casino").Start(ctx, "spin")
	set := metric.WithAttributes(attribute.String("casino.game", "slots"))
	dur.Record(sctx, 0.5, set)
	spins.Add(sctx, 1, set)
	span.End()
	traceID, spanID := span.SpanContext().TraceID().String(), span.SpanContext().SpanID().String()

	om, ctype := get(t, prom.Handler(), acceptOpenMetrics)
	if !strings.HasPrefix(ctype, "application/openmetrics-text") {
		t.Fatalf("Accept: %s got Content-Type %q", acceptOpenMetrics, ctype)
	}
	if !strings.HasSuffix(om, "# EOF\n") {
		t.Errorf("OpenMetrics output does not end with # EOF:\n%s", om)
	}
	exemplar := `# \{(?:[^}]*,)?trace_id="` + traceID + `"[^}]*\} ` // # {span_id="…",trace_id="…"} value timestamp
	for _, want := range []string{
		// The bucket the observation fell in (le 1: 0.1 < 0.5 ≤ 1),
		// spelled as OpenMetrics spells bounds.
		`(?m)^casino_spin_duration_seconds_bucket\{[^}]*le="1\.0"[^}]*\} 1 ` + exemplar + `0\.5`,
		`(?m)^casino_spins_total\{[^}]*\} 1\.0 ` + exemplar + `1\.0 `,
	} {
		if !regexp.MustCompile(want).MatchString(om) {
			t.Errorf("OpenMetrics output has no line matching %s:\n%s", want, om)
		}
	}
	if !strings.Contains(om, `span_id="`+spanID+`"`) {
		t.Errorf("exemplars lack span_id %s:\n%s", spanID, om)
	}

	for _, accept := range []string{"", acceptText} {
		text, ctype := get(t, prom.Handler(), accept)
		if !strings.HasPrefix(ctype, "text/plain") || !strings.Contains(ctype, "version=0.0.4") {
			t.Errorf("Accept %q: Content-Type %q, want the text format", accept, ctype)
		}
		if strings.Contains(text, "# EOF") || strings.Contains(text, traceID) {
			t.Errorf("Accept %q: the text format carries OpenMetrics or exemplars:\n%s", accept, text)
		}
		if !regexp.MustCompile(`(?m)^casino_spin_duration_seconds_bucket\{[^}]*le="1"[^}]*\} 1$`).MatchString(text) {
			t.Errorf("Accept %q: no le=\"1\" bucket:\n%s", accept, text)
		}
	}
}
