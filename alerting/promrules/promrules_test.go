package promrules

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/rulefile"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.yaml.in/yaml/v3"

	"github.com/jackcode/igmon/internal/promname"
	"github.com/jackcode/igmon/internal/tooltest"
)

// igmonPromNames is what Prometheus shows for the metrics igmon emits,
// written out by hand from the OTel→Prometheus translation rules so that
// the test does not trust promname.PrometheusMetricName.
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
	rules, err := rulefile.LoadFile("../rulefile/testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Export(rules, Config{})
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
	rules, err := rulefile.LoadFile("../rulefile/testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Export(rules, Config{Group: "casino"})
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
	// Burn rates against the factors, not error ratios against factor ×
	// budget: $value is the burn rate, as in process.
	errs1h := `(sum by (igmon_dependency_name) (increase(igmon_dependency_calls_total{igmon_dependency_operation="deposit", igmon_dependency_outcome!="success"}[1h])) / ` +
		`sum by (igmon_dependency_name) (increase(igmon_dependency_calls_total{igmon_dependency_operation="deposit"}[1h])))`
	if !strings.HasPrefix(slo[0].Expr, "("+errs1h+" / (1 - 0.999) > 14.4 and (") ||
		!strings.Contains(slo[0].Expr, "[5m]))) / (1 - 0.999) > 14.4 and ") ||
		!strings.Contains(slo[0].Expr, ") or (") || !strings.Contains(slo[0].Expr, " / (1 - 0.999) > 6 and ") ||
		!strings.Contains(slo[1].Expr, "[3d]))) / (1 - 0.999) > 1 and ") || strings.Contains(slo[0].Expr, "0.0144") {
		t.Errorf("slo page %s\nticket %s", slo[0].Expr, slo[1].Expr)
	}
	// min_events guards both windows of a pair, as the evaluator does.
	for _, w := range []string{"1h", "5m", "6h", "30m"} {
		if !strings.Contains(slo[0].Expr, `sum by (igmon_dependency_name) (increase(igmon_dependency_calls_total{igmon_dependency_operation="deposit"}[`+w+`])) >= 100`) {
			t.Errorf("slo page: no min_events guard on the %s window: %s", w, slo[0].Expr)
		}
	}
	lat := byName["APILatencySLO"][0].Expr
	if !strings.Contains(lat, `(1 - sum(increase(http_server_request_duration_seconds_bucket{http_route="/api/bets", le="0.25"}[1h])) / `+
		`sum(increase(http_server_request_duration_seconds_count{http_route="/api/bets"}[1h]))) / (1 - 0.99) > 14.4`) {
		t.Errorf("latency slo %s", lat)
	}
	if cpu := byName["HostCPUHigh"][0].Expr; cpu != `min(system_cpu_utilization_ratio{cpu_mode="idle"}) < 0.1` {
		t.Errorf("host cpu %s", cpu)
	}
	if c := byName["CheckFailing"][0]; c.Expr != `max by (igmon_check_name) (igmon_check_status_ratio{igmon_check_state=~"fail|warn"}) == 1` || c.For != "2m" {
		t.Errorf("check %+v", c)
	}
}

func TestPrometheusExportUnknownMetric(t *testing.T) {
	_, err := Export([]alerting.Rule{{Name: "Custom", Condition: &alerting.Threshold{Metric: alerting.Selector{Metric: "casino.jackpot.size"}, Value: 1}}}, Config{})
	if err == nil || !strings.Contains(err.Error(), "casino.jackpot.size") {
		t.Fatalf("err %v", err)
	}
	out, err := Export([]alerting.Rule{{Name: "Custom", Condition: &alerting.Threshold{Metric: alerting.Selector{Metric: "casino.jackpot.size"}, Value: 1}}},
		Config{Metrics: []MetricInfo{{Name: "casino.jackpot.size", Type: TypeGauge, Unit: "{EUR}"}}})
	if err != nil || !strings.Contains(string(out), "max(casino_jackpot_size) > 1") {
		t.Fatalf("%v %s", err, out)
	}
}

func TestPrometheusNumberFormat(t *testing.T) {
	cases := []struct {
		name string
		in   float64
		want string
	}{
		{"0.1+0.2", 0.1 + 0.2, "0.3"},
		{"1-0.928", 1 - 0.928, "0.072"},
		{"14.4*(1-0.999)", 14.4 * (1 - 0.999), "0.0144"},
		{"6*(1-0.999)", 6 * (1 - 0.999), "0.006"},
		{"800ms in seconds", (800 * time.Millisecond).Seconds(), "0.8"},
		{"250ms in seconds", float64(250*time.Millisecond) / float64(time.Second), "0.25"},
		{"one third", 1.0 / 3, "0.333333333333"},
		{"integer", 100, "100"},
		{"negative", -0.05, "-0.05"},
		{"zero", 0, "0"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"million", 1e6, "1000000"},
		{"12 digits", 123456789012, "123456789012"},
		{"largest plain", 999999999999999, "1e+15"}, // rounds to 12 digits first
		{"huge", 1e21, "1e+21"},
		{"max float", math.MaxFloat64, "1.79769313486e+308"},
		{"smallest plain", 0.000001, "0.000001"},
		{"tiny", 1.5e-5, "0.000015"},
		{"tinier", 5e-7, "5e-07"},
		{"denormal", 5e-324, "5e-324"},
		{"inf", math.Inf(1), "Inf"},
		{"-inf", math.Inf(-1), "-Inf"},
		{"nan", math.NaN(), "NaN"},
	}
	for _, c := range cases {
		if got := num(c.in); got != c.want {
			t.Errorf("%s: num(%v) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// FuzzPrometheusNumber checks that num keeps the value (to its 12
// significant digits) and writes ordinary magnitudes without an exponent.
func FuzzPrometheusNumber(f *testing.F) {
	for _, v := range []float64{0.1 + 0.2, 1 - 0.928, 14.4 * (1 - 0.999), 0.8, 1e-7, 1e20, -3.5, math.MaxFloat64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		s := num(v)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("num(%v) = %q does not parse: %v", v, s, err)
		}
		if d := math.Abs(back - v); d > 1e-11*math.Abs(v) {
			t.Fatalf("num(%v) = %q, off by %v", v, s, d)
		}
		if a := math.Abs(back); a >= 1e-6 && a < 1e15 && strings.ContainsAny(s, "eE") {
			t.Fatalf("num(%v) = %q uses an exponent", v, s)
		}
	})
}

func TestPrometheusLeValueIsTheExportersSpelling(t *testing.T) {
	// strconv 'f' shortest, as the OTLP→Prometheus translators write le.
	for in, want := range map[float64]string{0.25: "0.25", 1: "1", 0.005: "0.005", 0.00001: "0.00001", 30: "30", math.Inf(1): "+Inf"} {
		if got := leValue(in); got != want {
			t.Errorf("leValue(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestPrometheusLeSpellings: every string a Prometheus 2 or 3 may store
// as the le of a bucket, by the path the series came in on.
func TestPrometheusLeSpellings(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want []string
	}{
		{1, []string{"1", "1.0"}},               // OTLP and Prometheus 2 text; Prometheus 3
		{0.00001, []string{"0.00001", "1e-05"}}, // OTLP; Prometheus 2 and 3 scrapes
		{0.25, []string{"0.25"}},                // every path agrees
		{10, []string{"10", "10.0"}},
		{2.5e-7, []string{"0.00000025", "2.5e-07"}},
		{1e21, []string{"1000000000000000000000", "1e+21"}},
		{math.Inf(1), []string{"+Inf"}},
	} {
		if got := leSpellings(c.v); !slices.Equal(got, c.want) {
			t.Errorf("leSpellings(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for v, want := range map[float64]string{
		0.25:    `le="0.25"`,
		1:       `le=~"1|1\\.0"`,
		0.00001: `le=~"0\\.00001|1e-05"`,
		1e21:    `le=~"1000000000000000000000|1e\\+21"`,
	} {
		if got := leMatcher(v); got != want {
			t.Errorf("leMatcher(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestIgmonMetricsTable(t *testing.T) {
	names, prom := map[string]bool{}, map[string]string{}
	for _, m := range promname.IgmonMetrics {
		if names[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		names[m.Name] = true
		if m.Unit == "" {
			t.Errorf("%s: no unit", m.Name)
		}
		// Two OTel metrics must not collapse into one Prometheus name.
		pn := promname.PrometheusMetricName(m)
		if prev, dup := prom[pn]; dup {
			t.Errorf("%s and %s both become %s", prev, m.Name, pn)
		}
		prom[pn] = m.Name
	}
	// Hand-translated, so the test does not trust promname.PrometheusMetricName.
	for name, want := range map[string]string{
		"igmon.probe.success":                      "igmon_probe_success_ratio",
		"igmon.probe.duration":                     "igmon_probe_duration_seconds",
		"igmon.alerts":                             "igmon_alerts",
		"igmon.alert.notifications":                "igmon_alert_notifications_total",
		"igmon.check.result.age":                   "igmon_check_result_age_seconds",
		"system.network.io":                        "system_network_io_bytes_total",
		"go.config.gogc":                           "go_config_gogc_percent",
		"igmon.db.client.connection.wait.duration": "igmon_db_client_connection_wait_duration_seconds_total",
		"otel.sdk.exporter.operation.duration":     "otel_sdk_exporter_operation_duration_seconds",
	} {
		if prom[want] != name {
			t.Errorf("%s: want Prometheus name %s; table maps %s to %q", name, want, want, prom[want])
		}
	}
}

// TestHostCPUExampleIgnoresIdle evaluates the HostCPUHigh rule of
// alerting/rulefile/testdata/rules.yaml on CPU utilization shaped as probes.Host emits it:
// one series per cpu.mode, idle included, summing to 1. A rule that
// aggregates over every mode reads idle itself and fires on a quiet host.
func TestHostCPUExampleIgnoresIdle(t *testing.T) {
	rules, err := rulefile.LoadFile("../rulefile/testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cpu []alerting.Rule
	for _, r := range rules {
		if r.Name == "HostCPUHigh" {
			cpu = append(cpu, r)
		}
	}
	if len(cpu) != 1 {
		t.Fatalf("alerting/rulefile/testdata/rules.yaml: %d HostCPUHigh rules", len(cpu))
	}
	modes := []string{"user", "system", "nice", "idle", "iowait", "interrupt", "steal"}
	cases := []struct {
		name  string
		share []float64 // in the order of modes
		fires bool
	}{
		{"quiet host", []float64{0.02, 0.01, 0, 0.97, 0, 0, 0}, false},
		{"half busy", []float64{0.35, 0.1, 0, 0.5, 0.05, 0, 0}, false},
		{"busy host", []float64{0.8, 0.12, 0, 0.04, 0.02, 0.01, 0.01}, true},
		{"io bound", []float64{0.1, 0.05, 0, 0.05, 0.8, 0, 0}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMeters(t)
			e := newEval(t, m, cpu)
			for i, mode := range modes {
				m.cpu.Record(context.Background(), c.share[i], metric.WithAttributeSet(attribute.NewSet(attribute.String("cpu.mode", mode))))
			}
			a := find(eval(t, e), "HostCPUHigh")
			if fired := a != nil && a.State == alerting.StatePending; fired != c.fires {
				t.Fatalf("alert %+v, want active=%v", a, c.fires)
			}
			if a != nil && a.Value != c.share[3] {
				t.Errorf("value %v, want the idle share %v", a.Value, c.share[3])
			}
		})
	}
}

// miniPromQL evaluates the exported SLO expressions for one alert group:
// every "sum [by (...)] (increase(selector[window]))" is looked up in
// data, and the operators keep PromQL's filter semantics (a comparison
// without bool drops the sample; "a and b" keeps a's value when b has
// one; "a or b" takes a's, else b's). It covers the grammar exportSLO
// writes, which is what lets a test compare the exported $value with the
// evaluator's.
type miniPromQL struct {
	toks []string
	pos  int
	data func(selector, window string) (float64, bool)
	t    *testing.T
}

// sample is one group's value; ok is false when the vector is empty.
type sample struct {
	v  float64
	ok bool
}

var miniTok = regexp.MustCompile(`\s*(\{[^}]*\}|\[[^\]]*\]|>=|<=|==|[()/*+<>-]|[0-9.]+(?:e[-+]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|,)`)

func evalMiniPromQL(t *testing.T, expr string, data func(selector, window string) (float64, bool)) sample {
	t.Helper()
	p := &miniPromQL{data: data, t: t}
	for rest := expr; strings.TrimSpace(rest) != ""; {
		m := miniTok.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			t.Fatalf("cannot lex %q", rest)
		}
		p.toks = append(p.toks, rest[m[2]:m[3]])
		rest = rest[m[1]:]
	}
	v := p.or()
	if p.pos != len(p.toks) {
		t.Fatalf("trailing %q in %s", p.toks[p.pos:], expr)
	}
	return v
}

func (p *miniPromQL) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *miniPromQL) next() string { s := p.peek(); p.pos++; return s }

func (p *miniPromQL) expect(s string) {
	if got := p.next(); got != s {
		p.t.Fatalf("want %q at token %d, got %q (%q)", s, p.pos-1, got, p.toks)
	}
}

func (p *miniPromQL) or() sample {
	a := p.and()
	for p.peek() == "or" {
		p.next()
		if b := p.and(); !a.ok {
			a = b
		}
	}
	return a
}

func (p *miniPromQL) and() sample {
	a := p.cmp()
	for p.peek() == "and" {
		p.next()
		if b := p.cmp(); !b.ok {
			a = sample{}
		}
	}
	return a
}

func (p *miniPromQL) cmp() sample {
	a := p.add()
	ops := map[string]func(x, y float64) bool{
		">": func(x, y float64) bool { return x > y }, ">=": func(x, y float64) bool { return x >= y },
		"<": func(x, y float64) bool { return x < y }, "<=": func(x, y float64) bool { return x <= y },
		"==": func(x, y float64) bool { return x == y },
	}
	if op, ok := ops[p.peek()]; ok {
		p.next()
		b := p.add()
		if !a.ok || !b.ok || !op(a.v, b.v) {
			return sample{}
		}
	}
	return a
}

func (p *miniPromQL) add() sample {
	a := p.mul()
	for p.peek() == "+" || p.peek() == "-" {
		op := p.next()
		b := p.mul()
		if op == "+" {
			a.v += b.v
		} else {
			a.v -= b.v
		}
		a.ok = a.ok && b.ok
	}
	return a
}

func (p *miniPromQL) mul() sample {
	a := p.primary()
	for p.peek() == "*" || p.peek() == "/" {
		op := p.next()
		b := p.primary()
		if op == "*" {
			a.v *= b.v
		} else {
			a.v /= b.v
		}
		a.ok = a.ok && b.ok
	}
	return a
}

func (p *miniPromQL) primary() sample {
	switch tok := p.next(); tok {
	case "(":
		v := p.or()
		p.expect(")")
		return v
	case "sum":
		if p.peek() == "by" {
			p.next()
			p.expect("(")
			for p.next() != ")" {
			}
		}
		p.expect("(")
		p.expect("increase")
		p.expect("(")
		sel := p.next()
		if strings.HasPrefix(p.peek(), "{") {
			sel += p.next()
		}
		w := strings.Trim(p.next(), "[]")
		p.expect(")")
		p.expect(")")
		v, ok := p.data(sel, w)
		return sample{v, ok}
	default:
		v, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			p.t.Fatalf("unexpected token %q in %q", tok, p.toks)
		}
		return sample{v, true}
	}
}

func TestMiniPromQL(t *testing.T) {
	data := func(sel, w string) (float64, bool) {
		return map[string]float64{"a[5m]": 10, "b[5m]": 4}[sel+"["+w+"]"], sel != "missing"
	}
	for expr, want := range map[string]sample{
		"sum(increase(a[5m])) / sum by (x) (increase(b[5m]))":                 {2.5, true},
		"sum(increase(a[5m])) > 11":                                           {},
		"sum(increase(a[5m])) > 9 and sum(increase(b[5m])) >= 4":              {10, true},
		"(sum(increase(a[5m])) > 11) or (sum(increase(b[5m])) - 1)":           {3, true},
		"sum(increase(a[5m])) / (1 - 0.5) > 1 and sum(increase(missing[5m]))": {},
	} {
		if got := evalMiniPromQL(t, expr, data); got != want {
			t.Errorf("%s = %+v, want %+v", expr, got, want)
		}
	}
}

// TestPrometheusSLOValueIsBurnRate evaluates exported SLO rules on known
// window increases: the value must be the burn rate over the long window
// of the first firing pair (what the evaluator reports), and the rule must
// fire exactly when a pair burns faster than its factor on both windows
// with enough events.
func TestPrometheusSLOValueIsBurnRate(t *testing.T) {
	errSel := mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout"}`)
	page := []alerting.BurnWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4},
		{Severity: "page", Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6}}
	type win struct{ errs, total float64 }
	cases := []struct {
		name      string
		objective float64
		latency   bool
		minEvents float64
		windows   map[string]win // by Prometheus window
		want      float64        // 0: must not fire
	}{
		{"fast burn", 0.999, false, 0, map[string]win{"1h": {200, 10000}, "5m": {20, 1000}, "6h": {200, 60000}, "30m": {20, 5000}}, 20},
		{"slow burn: second pair", 0.999, false, 0, map[string]win{"1h": {100, 10000}, "5m": {1, 1000}, "6h": {600, 60000}, "30m": {50, 5000}}, 10},
		{"short window recovered", 0.999, false, 0, map[string]win{"1h": {200, 10000}, "5m": {0, 1000}, "6h": {200, 60000}, "30m": {0, 5000}}, 0},
		{"budget with noise", 0.928, false, 0, map[string]win{"1h": {300, 200}, "5m": {30, 20}, "6h": {300, 200}, "30m": {30, 20}}, 1.5 / (1 - 0.928)},
		{"too few events on the short window", 0.999, false, 100, map[string]win{"1h": {300, 10000}, "5m": {3, 50}, "6h": {300, 60000}, "30m": {3, 50}}, 0},
		{"enough events", 0.999, false, 100, map[string]win{"1h": {300, 10000}, "5m": {3, 150}, "6h": {300, 60000}, "30m": {3, 150}}, 30},
		{"latency objective", 0.99, true, 0, map[string]win{"1h": {30, 100}, "5m": {3, 10}, "6h": {30, 1000}, "30m": {3, 100}}, 30},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			slo := &alerting.SLO{Objective: c.objective, Total: alerting.Selector{Metric: "igmon.dependency.calls"}, Errors: &errSel, Windows: page, MinEvents: c.minEvents}
			if c.latency {
				slo = &alerting.SLO{Objective: c.objective, Total: alerting.Selector{Metric: "http.server.request.duration"}, LatencyThreshold: 0.25, Windows: page, MinEvents: c.minEvents}
			}
			out, err := Export([]alerting.Rule{{Name: "SLO", Condition: slo}}, Config{})
			if err != nil {
				t.Fatal(err)
			}
			var f promFile
			if err := yaml.Unmarshal(out, &f); err != nil || len(f.Groups[0].Rules) != 1 {
				t.Fatalf("%v\n%s", err, out)
			}
			expr := f.Groups[0].Rules[0].Expr
			got := evalMiniPromQL(t, expr, func(sel, w string) (float64, bool) {
				x, ok := c.windows[w]
				switch {
				case !ok:
					t.Fatalf("window %s not in the case", w)
				case strings.Contains(sel, "outcome"):
					return x.errs, true
				case strings.Contains(sel, `le="0.25"`):
					return x.total - x.errs, true // good events
				}
				return x.total, true
			})
			if c.want == 0 {
				if got.ok {
					t.Fatalf("fires with %v: %s", got.v, expr)
				}
				return
			}
			if !got.ok || math.Abs(got.v-c.want) > 1e-9*c.want {
				t.Fatalf("value %+v, want burn rate %v: %s", got, c.want, expr)
			}
		})
	}
}

// TestPrometheusSLOValueMatchesEvaluator runs one SLO rule in process and
// the exported expression on the same increases: the values agree, so
// $value in an annotation means the same in Prometheus and in igmon.
func TestPrometheusSLOValueMatchesEvaluator(t *testing.T) {
	errSel := mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="error"}`)
	rule := alerting.Rule{Name: "DepositAvailability", By: []string{"igmon.dependency.name"},
		Condition: &alerting.SLO{Objective: 0.995, Total: mustSel(t, `igmon.dependency.calls`), Errors: &errSel, MinEvents: 10,
			Windows: []alerting.BurnWindow{{Severity: "page", Long: 10 * time.Minute, Short: time.Minute, Factor: 2}}}}
	m := newMeters(t)
	e := newEval(t, m, []alerting.Rule{rule})
	eval(t, e)
	m.call("stripe", "deposit", "success", 93, 0.1)
	m.call("stripe", "deposit", "error", 7, 0.1)
	m.clk.Advance(30 * time.Second)
	a := find(eval(t, e), "DepositAvailability")
	if a == nil || a.State != alerting.StateFiring {
		t.Fatalf("in process: %+v", a)
	}

	out, err := Export([]alerting.Rule{rule}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var f promFile
	_ = yaml.Unmarshal(out, &f)
	got := evalMiniPromQL(t, f.Groups[0].Rules[0].Expr, func(sel, _ string) (float64, bool) {
		// Every call happened inside both windows.
		if strings.Contains(sel, `outcome="error"`) {
			return 7, true
		}
		return 100, true
	})
	if !got.ok || got.v != a.Value {
		t.Fatalf("exported value %+v, in process %v (burn rate %v)", got, a.Value, 0.07/(1-0.995))
	}
}

func TestMetricInfoOf(t *testing.T) {
	cases := []struct {
		data metricdata.Aggregation
		want MetricType
		ok   bool
	}{
		{metricdata.Gauge[float64]{}, TypeGauge, true},
		{metricdata.Gauge[int64]{}, TypeGauge, true},
		{metricdata.Sum[int64]{IsMonotonic: true}, TypeCounter, true},
		{metricdata.Sum[float64]{IsMonotonic: true}, TypeCounter, true},
		{metricdata.Sum[int64]{}, TypeUpDownCounter, true},
		{metricdata.Sum[float64]{}, TypeUpDownCounter, true},
		{metricdata.Histogram[float64]{}, TypeHistogram, true},
		{metricdata.Histogram[int64]{}, TypeHistogram, true},
		{metricdata.ExponentialHistogram[float64]{}, 0, false},
		{metricdata.Summary{}, 0, false},
	}
	for _, c := range cases {
		info, ok := MetricInfoOf(metricdata.Metrics{Name: "casino.bets", Unit: "{bet}", Data: c.data})
		if ok != c.ok || ok && (info != MetricInfo{Name: "casino.bets", Type: c.want, Unit: "{bet}"}) {
			t.Errorf("%T: %+v %v, want type %v ok %v", c.data, info, ok, c.want, c.ok)
		}
	}
}

// TestPrometheusLatencySLOEveryLeSpellingPromtool runs exported latency-SLO
// rules in the real Prometheus rule engine (promtool test rules) on
// buckets spelled the way each path stores them: le="1" (OTLP, and
// Prometheus 2 scraping the text format), le="1.0" (Prometheus 3 scraping
// anything), le="0.00001" (OTLP) and le="1e-05" (Prometheus 2 and 3
// scraping). A rule that matched one spelling only read nothing on the
// others and never fired, or, in a fleet with both, counted half the
// good requests and fired on a healthy service.
func TestPrometheusLatencySLOEveryLeSpellingPromtool(t *testing.T) {
	promtool := tooltest.Path(t, tooltest.Promtool)
	window := []alerting.BurnWindow{{Severity: "page", Long: 10 * time.Minute, Short: 5 * time.Minute, Factor: 2}}
	rules := []alerting.Rule{
		{Name: "APILatency1s", Condition: &alerting.SLO{Objective: 0.99, Total: mustSel(t, `http.server.request.duration{http.route="/api/bets"}`),
			LatencyThreshold: 1, Windows: window}},
		{Name: "DependencyLatency10us", Condition: &alerting.SLO{Objective: 0.99, Total: mustSel(t, `igmon.dependency.duration`),
			LatencyThreshold: 0.00001, Windows: window}},
	}
	out, err := Export(rules, Config{Group: "slo"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}

	// Requests at 100 a minute; good ones (at or under the threshold) at
	// 50 a minute burn a 99 % objective 50 times too fast, at 100 a minute
	// not at all.
	type bucket struct {
		metric, route, instance, le string
		perMinute                   int
	}
	series := func(bs ...bucket) string {
		var b strings.Builder
		for _, x := range bs {
			labels := fmt.Sprintf(`instance=%q`, x.instance)
			if x.route != "" {
				labels = fmt.Sprintf(`http_route=%q, `, x.route) + labels
			}
			fmt.Fprintf(&b, "      - series: '%s_bucket{%s, le=%q}'\n        values: '0+%dx30'\n", x.metric, labels, x.le, x.perMinute)
			fmt.Fprintf(&b, "      - series: '%s_count{%s}'\n        values: '0+100x30'\n", x.metric, labels)
		}
		return b.String()
	}
	const api, dep = "http_server_request_duration_seconds", "igmon_dependency_duration_seconds"
	cases := []struct {
		name  string
		input string
		fires string // the alert expected at 15m; "": none
	}{
		{"le=1 (OTLP, Prometheus 2)", series(bucket{api, "/api/bets", "a", "1", 50}), "APILatency1s"},
		{"le=1.0 (Prometheus 3)", series(bucket{api, "/api/bets", "a", "1.0", 50}), "APILatency1s"},
		{"le=0.00001 (OTLP)", series(bucket{dep, "", "a", "0.00001", 50}), "DependencyLatency10us"},
		{"le=1e-05 (Prometheus 2 and 3 scrapes)", series(bucket{dep, "", "a", "1e-05", 50}), "DependencyLatency10us"},
		{"le=1.0, every request fast", series(bucket{api, "/api/bets", "a", "1.0", 100}), ""},
		{"a fleet with both spellings, every request fast",
			series(bucket{api, "/api/bets", "a", "1", 100}, bucket{api, "/api/bets", "b", "1.0", 100},
				bucket{dep, "", "a", "0.00001", 100}, bucket{dep, "", "b", "1e-05", 100}), ""},
		{"a fleet with both spellings, half the requests slow",
			series(bucket{api, "/api/bets", "a", "1", 50}, bucket{api, "/api/bets", "b", "1.0", 50}), "APILatency1s"},
	}
	var b strings.Builder
	b.WriteString("rule_files: [rules.yaml]\nevaluation_interval: 1m\ntests:\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "  - name: %q\n    interval: 1m\n    input_series:\n%s    alert_rule_test:\n", c.name, c.input)
		for _, alert := range []string{"APILatency1s", "DependencyLatency10us"} {
			fmt.Fprintf(&b, "      - eval_time: 15m\n        alertname: %s\n", alert)
			if alert == c.fires {
				b.WriteString("        exp_alerts:\n          - exp_labels: {severity: page}\n")
			} else {
				b.WriteString("        exp_alerts: []\n")
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yaml")
	cmd.Dir = dir
	if res, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s\nrules:\n%s\ntests:\n%s", err, res, out, b.String())
	}
}
