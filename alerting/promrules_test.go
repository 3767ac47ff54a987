package alerting

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// igmonPromNames is what Prometheus shows for the metrics igmon emits,
// written out by hand from the OTel→Prometheus translation rules so that
// the test does not trust PrometheusMetricName.
var igmonPromNames = map[string][]string{
	"http.client.request.duration": {"http_client_request_duration_seconds_bucket", "http_client_request_duration_seconds_count", "http_client_request_duration_seconds_sum"},
	"http.server.request.duration": {"http_server_request_duration_seconds_bucket", "http_server_request_duration_seconds_count", "http_server_request_duration_seconds_sum"},
	"igmon.dependency.calls":       {"igmon_dependency_calls_total"},
	"igmon.dependency.duration":    {"igmon_dependency_duration_seconds_bucket", "igmon_dependency_duration_seconds_count", "igmon_dependency_duration_seconds_sum"},
	"system.cpu.utilization":       {"system_cpu_utilization_ratio"},
	"system.memory.utilization":    {"system_memory_utilization_ratio"},
	"db.client.connection.count":   {"db_client_connection_count"},
	"db.client.connection.max":     {"db_client_connection_max"},
	"igmon.check.status":           {"igmon_check_status_ratio"},
}

var promKeywords = map[string]bool{"sum": true, "max": true, "min": true, "avg": true, "by": true, "and": true, "or": true,
	"unless": true, "on": true, "increase": true, "rate": true, "histogram_quantile": true}

// metricNames extracts the metric names of a PromQL expression: identifiers
// outside label matchers, grouping clauses, range brackets and function
// calls.
func metricNames(expr string) []string {
	strip := []*regexp.Regexp{
		regexp.MustCompile(`\{[^}]*\}`),
		regexp.MustCompile(`\b(by|on) \([^)]*\)`),
		regexp.MustCompile(`\[[^\]]*\]`),
	}
	for _, re := range strip {
		expr = re.ReplaceAllString(expr, " ")
	}
	var out []string
	for _, m := range regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`).FindAllString(expr, -1) {
		if strings.HasSuffix(m, "(") {
			continue // a function
		}
		m = strings.TrimSpace(m)
		if !promKeywords[m] {
			out = append(out, m)
		}
	}
	return out
}

func TestPrometheusExportNamesRealMetrics(t *testing.T) {
	rules, err := LoadRulesFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := ExportPrometheusRules(rules, PrometheusExport{})
	if err != nil {
		t.Fatal(err)
	}
	var f promFile
	if err := yaml.Unmarshal(out, &f); err != nil {
		t.Fatalf("export is not YAML: %v\n%s", err, out)
	}
	var valid []string
	for _, names := range igmonPromNames {
		valid = append(valid, names...)
	}
	seen := map[string]bool{}
	for _, r := range f.Groups[0].Rules {
		names := metricNames(r.Expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", r.Alert, r.Expr)
		}
		for _, n := range names {
			if !slices.Contains(valid, n) {
				t.Errorf("%s: %q names %q, which igmon does not emit", r.Alert, r.Expr, n)
			}
			seen[n] = true
		}
		if strings.Contains(r.Expr, "igmon.") || strings.Contains(r.Expr, "{}") {
			t.Errorf("%s: untranslated or empty selector in %q", r.Alert, r.Expr)
		}
	}
	for _, must := range []string{"igmon_dependency_calls_total", "igmon_dependency_duration_seconds_bucket",
		"system_cpu_utilization_ratio", "igmon_check_status_ratio", "http_server_request_duration_seconds_bucket"} {
		if !seen[must] {
			t.Errorf("no expression reads %s", must)
		}
	}
}

func TestPrometheusExportExpressions(t *testing.T) {
	rules, err := LoadRulesFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := ExportPrometheusRules(rules, PrometheusExport{Group: "casino"})
	if err != nil {
		t.Fatal(err)
	}
	var f promFile
	_ = yaml.Unmarshal(out, &f)
	byName := map[string][]promRule{}
	for _, r := range f.Groups[0].Rules {
		byName[r.Alert] = append(byName[r.Alert], r)
	}
	ratio := byName["DependencyErrorRate"][0]
	wantRatio := `((sum by (igmon_dependency_kind, igmon_dependency_name) (increase(igmon_dependency_calls_total{igmon_dependency_outcome=~"error|timeout"}[5m])) / ` +
		`sum by (igmon_dependency_kind, igmon_dependency_name) (increase(igmon_dependency_calls_total[5m]))) > 0.05) and ` +
		`(sum by (igmon_dependency_kind, igmon_dependency_name) (increase(igmon_dependency_calls_total[5m])) >= 100)`
	if ratio.Expr != wantRatio || ratio.For != "2m" || ratio.KeepFiringFor != "5m" {
		t.Errorf("ratio rule:\n got %s\nwant %s\n%+v", ratio.Expr, wantRatio, ratio)
	}
	if got := ratio.Annotations["summary"]; got != `{{ index $labels "igmon_dependency_name" }}: {{ humanizePercentage $value }} errors over {{ "5m" }}` {
		t.Errorf("annotation %q", got)
	}
	q := byName["StripeDepositSlow"][0].Expr
	if !strings.HasPrefix(q, `histogram_quantile(0.95, sum by (le) (rate(igmon_dependency_duration_seconds_bucket{igmon_dependency_name="stripe", igmon_dependency_operation="deposit"}[5m]))) > 0.8`) {
		t.Errorf("quantile %s", q)
	}
	slo := byName["DepositAvailability"]
	if len(slo) != 2 || slo[0].Labels["severity"] != "page" || slo[1].Labels["severity"] != "ticket" {
		t.Fatalf("slo rules %+v", slo)
	}
	if !strings.Contains(slo[0].Expr, "[1h]") || !strings.Contains(slo[0].Expr, "> 0.0144") || !strings.Contains(slo[0].Expr, " or ") ||
		!strings.Contains(slo[1].Expr, "[3d]") {
		t.Errorf("slo page %s\nticket %s", slo[0].Expr, slo[1].Expr)
	}
	lat := byName["APILatencySLO"][0].Expr
	if !strings.Contains(lat, `http_server_request_duration_seconds_bucket{http_route="/api/bets", le="0.25"}`) {
		t.Errorf("latency slo %s", lat)
	}
	if c := byName["CheckFailing"][0]; c.Expr != `max by (igmon_check_name) (igmon_check_status_ratio{igmon_check_state=~"fail|warn"}) == 1` || c.For != "2m" {
		t.Errorf("check %+v", c)
	}
}

func TestPrometheusExportUnknownMetric(t *testing.T) {
	_, err := ExportPrometheusRules([]Rule{{Name: "Custom", Condition: &Threshold{Metric: Selector{Metric: "casino.jackpot.size"}, Value: 1}}}, PrometheusExport{})
	if err == nil || !strings.Contains(err.Error(), "casino.jackpot.size") {
		t.Fatalf("err %v", err)
	}
	out, err := ExportPrometheusRules([]Rule{{Name: "Custom", Condition: &Threshold{Metric: Selector{Metric: "casino.jackpot.size"}, Value: 1}}},
		PrometheusExport{Metrics: []MetricInfo{{Name: "casino.jackpot.size", Type: TypeGauge, Unit: "{EUR}"}}})
	if err != nil || !strings.Contains(string(out), "max(casino_jackpot_size) > 1") {
		t.Fatalf("%v %s", err, out)
	}
}

func TestPrometheusMetricName(t *testing.T) {
	cases := map[MetricInfo]string{
		{"http.server.request.duration", TypeHistogram, "s"}:              "http_server_request_duration_seconds",
		{"igmon.dependency.calls", TypeCounter, "{call}"}:                 "igmon_dependency_calls_total",
		{"system.cpu.utilization", TypeGauge, "1"}:                        "system_cpu_utilization_ratio",
		{"db.client.connection.count", TypeUpDownCounter, "{connection}"}: "db_client_connection_count",
		{"system.network.io", TypeCounter, "By"}:                          "system_network_io_bytes_total",
		{"process.cpu.time", TypeCounter, "s"}:                            "process_cpu_time_seconds_total",
		{"net.throughput", TypeGauge, "By/s"}:                             "net_throughput_bytes_per_second",
	}
	for in, want := range cases {
		if got := PrometheusMetricName(in); got != want {
			t.Errorf("%+v → %s, want %s", in, got, want)
		}
	}
}
