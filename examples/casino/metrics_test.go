package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/otlptest"
)

// scrapeDemo GETs the demo's /metrics with an Accept header ("": none)
// and returns the Content-Type and the body.
func scrapeDemo(t *testing.T, base, accept string) (string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+metricsPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %.200q", metricsPath, resp.StatusCode, body)
	}
	return resp.Header.Get("Content-Type"), string(body)
}

// TestDemoServesPrometheusMetrics: the demo serves its metrics for
// Prometheus at /metrics through the nested exporters/prometheus module:
// the dependency calls of its traffic, the API's request durations, the
// scheduling latency of the runtime producer, in the text format by
// default and in OpenMetrics when asked; with OTEL_EXPORTER_OTLP_ENDPOINT
// set it pushes OTLP as well, and the banner says so.
func TestDemoServesPrometheusMetrics(t *testing.T) {
	rcv, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rcv.Stop) // after the demo stops: its final export must get through
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.Endpoint())
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "200")
	d := startDemo(t, config{rps: 20})
	if !strings.Contains(d.banner, "also pushed by otlp") {
		t.Errorf("banner does not say metrics are pushed by OTLP too:\n%s", d.banner)
	}

	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^igmon_dependency_calls_total\{[^}]*igmon_dependency_name="stripe"[^}]*\} [1-9]`),
		regexp.MustCompile(`(?m)^http_server_request_duration_seconds_bucket\{`),
		regexp.MustCompile(`(?m)^go_schedule_duration_seconds_bucket\{`),
		regexp.MustCompile(`(?m)^target_info\{[^}]*service_name="casino"`),
	}
	var ctype, body string
	for deadline := time.Now().Add(30 * time.Second); ; {
		ctype, body = scrapeDemo(t, d.ep.baseURL, "")
		missing := 0
		for _, re := range want {
			if !re.MatchString(body) {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, re := range want {
				if !re.MatchString(body) {
					t.Errorf("/metrics has no line matching %s", re)
				}
			}
			t.Fatalf("GET /metrics:\n%.3000s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("GET /metrics without Accept: Content-Type %q, want the text format", ctype)
	}
	ctype, body = scrapeDemo(t, d.ep.baseURL, "application/openmetrics-text;version=1.0.0")
	if !strings.HasPrefix(ctype, "application/openmetrics-text") || !strings.HasSuffix(body, "# EOF\n") {
		t.Errorf("GET /metrics asking for OpenMetrics: Content-Type %q, body ends %q", ctype, body[max(0, len(body)-20):])
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := rcv.WaitFor(ctx, func(p otlptest.Point) bool { return p.Name == "igmon.dependency.calls" }); err != nil {
		t.Fatalf("igmon.dependency.calls never reached the OTLP receiver (the scrape must not replace the OTLP export): %v", err)
	}
}
