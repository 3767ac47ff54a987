package promrules

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"

	"github.com/jackcode/igmon/internal/promname"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"go.yaml.in/yaml/v3"
)

// MetricType is the OTel instrument kind, which decides the Prometheus
// suffixes.
type MetricType = promname.MetricType

// Metric types.
const (
	TypeGauge         = promname.TypeGauge         // gauges and observable gauges
	TypeCounter       = promname.TypeCounter       // monotonic sums: _total
	TypeUpDownCounter = promname.TypeUpDownCounter // non-monotonic sums: exported as gauges
	TypeHistogram     = promname.TypeHistogram     // _bucket, _sum, _count
)

// MetricInfo describes a metric a rule may read: Name, Type and Unit.
type MetricInfo = promname.MetricInfo

// MetricInfoOf describes a collected metric as the rule export needs it:
// its name, unit and instrument kind, read from the data's shape. It
// reports false for data the export cannot translate (exponential
// histograms, summaries). Build Config.Metrics for a service's
// own metrics from one collection with it.
func MetricInfoOf(md metricdata.Metrics) (MetricInfo, bool) {
	info := MetricInfo{Name: md.Name, Unit: md.Unit}
	switch d := md.Data.(type) {
	case metricdata.Gauge[int64], metricdata.Gauge[float64]:
		info.Type = TypeGauge
	case metricdata.Sum[int64]:
		info.Type = sumType(d.IsMonotonic)
	case metricdata.Sum[float64]:
		info.Type = sumType(d.IsMonotonic)
	case metricdata.Histogram[int64], metricdata.Histogram[float64]:
		info.Type = TypeHistogram
	default:
		return info, false
	}
	return info, true
}

func sumType(monotonic bool) MetricType {
	if monotonic {
		return TypeCounter
	}
	return TypeUpDownCounter
}

// Config configures Export.
type Config struct {
	// Group is the rule group name (default "igmon").
	Group string
	// Interval is the evaluation interval of the group (default: none, use
	// Prometheus' global one).
	Interval time.Duration
	// Metrics adds the application's own metrics to the ones igmon emits
	// (docs/metrics.md).
	Metrics []MetricInfo
}

type promFile struct {
	Groups []promGroup `yaml:"groups"`
}

type promGroup struct {
	Name     string     `yaml:"name"`
	Interval string     `yaml:"interval,omitempty"`
	Rules    []promRule `yaml:"rules"`
}

type promRule struct {
	Alert         string            `yaml:"alert"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for,omitempty"`
	KeepFiringFor string            `yaml:"keep_firing_for,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty"`
	Annotations   map[string]string `yaml:"annotations,omitempty"`
}

// Export renders rules as a Prometheus alerting-rules file,
// so a fleet evaluates the same rules centrally. Expressions use the
// Prometheus names of the metrics (docs/metrics.md, "Names in
// Prometheus"); a rule that reads a metric igmon does not emit and
// cfg.Metrics does not list is an error.
// Numbers are rounded to 12 significant digits. An SLO rule becomes one
// rule per severity whose value, like the evaluator's, is a burn rate, so
// $value means the same in both. Flap damping has no PromQL equivalent and
// is left out; annotation templates are translated best-effort ($value,
// $labels, humanizePercentage).
func Export(rules []alerting.Rule, cfg Config) ([]byte, error) {
	if err := alerting.ValidateRules(rules); err != nil {
		return nil, err
	}
	known := map[string]MetricInfo{}
	for _, m := range promname.IgmonMetrics {
		known[m.Name] = m
	}
	for _, m := range cfg.Metrics {
		known[m.Name] = m
	}
	g := promGroup{Name: cfg.Group}
	if g.Name == "" {
		g.Name = "igmon"
	}
	if cfg.Interval > 0 {
		g.Interval = promDuration(cfg.Interval)
	}
	for i := range rules {
		out, err := exportRule(&rules[i], known)
		if err != nil {
			return nil, err
		}
		g.Rules = append(g.Rules, out...)
	}
	return yaml.Marshal(promFile{Groups: []promGroup{g}})
}

type promCtx struct {
	rule  *alerting.Rule
	known map[string]MetricInfo
	by    string
	err   error
}

func (p *promCtx) metric(s alerting.Selector) MetricInfo {
	m, ok := p.known[s.Metric]
	if !ok && p.err == nil {
		p.err = &fieldError{Rule: p.rule.Name, Field: kind(p.rule.Condition),
			Msg: fmt.Sprintf("metric %q is not a known igmon metric; declare it in Config.Metrics", s.Metric)}
	}
	return m
}

// series renders the selector for one Prometheus series of s.
func (p *promCtx) series(s alerting.Selector, suffix string, extra ...string) string {
	m := p.metric(s)
	var ms []string
	for _, x := range s.Matchers {
		ms = append(ms, promname.PrometheusLabelName(x.Name)+x.Type.String()+strconv.Quote(x.Value))
	}
	ms = append(ms, extra...)
	name := promname.PrometheusMetricName(m) + suffix
	if len(ms) == 0 {
		return name
	}
	return name + "{" + strings.Join(ms, ", ") + "}"
}

// count renders the "events" series of a counter or histogram.
func (p *promCtx) count(s alerting.Selector) string {
	if p.metric(s).Type == TypeHistogram {
		return p.series(s, "_count")
	}
	return p.series(s, "")
}

func (p *promCtx) sum(expr string, extraBy ...string) string {
	by := p.by
	if len(extraBy) > 0 {
		if by == "" {
			by = strings.Join(extraBy, ", ")
		} else {
			by += ", " + strings.Join(extraBy, ", ")
		}
	}
	if by == "" {
		return "sum(" + expr + ")"
	}
	return "sum by (" + by + ") (" + expr + ")"
}

func (p *promCtx) agg(a alerting.Aggregation, expr string) string {
	if a == "" {
		a = alerting.AggMax
	}
	if p.by == "" {
		return string(a) + "(" + expr + ")"
	}
	return string(a) + " by (" + p.by + ") (" + expr + ")"
}

func (p *promCtx) increase(s alerting.Selector, w time.Duration) string {
	return p.sum("increase(" + p.count(s) + "[" + promDuration(w) + "])")
}

// num renders v as a PromQL number literal a person can read: binary
// noise from arithmetic on the rule's numbers is rounded away (1-0.928 is
// 0.07200000000000006 in float64; the rule means 0.072), and ordinary
// magnitudes are written without an exponent.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0" // also for -0
	}
	// 12 significant digits keep every number a person writes in a rule
	// and drop the last few bits that float64 arithmetic gets wrong.
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', numDigits, 64), 64)
	if err != nil || math.IsInf(r, 0) {
		r = v // rounding overflowed past MaxFloat64: keep v as it is
	}
	if a := math.Abs(r); a >= 1e-6 && a < 1e15 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strconv.FormatFloat(r, 'g', -1, 64)
}

// numDigits is the precision num rounds to.
const numDigits = 12

// leValue renders a histogram bucket bound as the le label value that the
// OTLP→Prometheus translators (the Collector's prometheusremotewrite
// exporter, Prometheus' own OTLP receiver) write: shortest decimal, never
// an exponent. Unlike num it does not round: a label matcher must equal
// the stored string exactly, and a bound is the float the histogram was
// configured with, not the result of arithmetic.
func leValue(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// leSpellings are the strings a Prometheus may hold as the le label of
// the bucket bounded by v, depending on how the series got there:
//
//   - the OTLP translators (the Collector's prometheusremotewrite,
//     Prometheus' OTLP receiver) write the shortest decimal without an
//     exponent: 1, 0.00001 (leValue);
//   - Prometheus 2 keeps what the scrape exposed: client_golang's text
//     format writes Go's shortest %g (1, 1e-05), its OpenMetrics format
//     the same with ".0" added when there is neither a point nor an
//     exponent (1.0, 1e-05);
//   - Prometheus 3 rewrites every scraped le (text, OpenMetrics,
//     protobuf) to that OpenMetrics form: 1.0, 1e-05, 0.25.
//
// The list is deduplicated and in that order.
func leSpellings(v float64) []string {
	out := []string{leValue(v)}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return out
	}
	g := strconv.FormatFloat(v, 'g', -1, 64)
	om := g
	if !strings.ContainsAny(g, ".e") {
		om += ".0"
	}
	for _, s := range []string{g, om} {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// leMatcher selects the bucket bounded by v whichever way the le label
// was spelled when stored (see leSpellings): an equality matcher when
// every spelling agrees (le="0.25"), else a regex alternation of them
// (le=~"1|1\\.0"): a Prometheus 3 scrape stores 1.0 where the OTLP path
// stores 1, and a fleet with targets on both paths, or one that moves
// from one to the other, has both in the same window.
func leMatcher(v float64) string {
	sp := leSpellings(v)
	if len(sp) == 1 {
		return "le=" + strconv.Quote(sp[0])
	}
	for i, s := range sp {
		sp[i] = regexp.QuoteMeta(s)
	}
	return "le=~" + strconv.Quote(strings.Join(sp, "|"))
}

// promLabels translates the rule's static label names like attribute keys
// (igmon.dependency.kind → igmon_dependency_kind), so they match the
// labels the expression's "by" keeps and load into any Prometheus.
func promLabels(l map[string]string) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[promname.PrometheusLabelName(k)] = v
	}
	return out
}

func exportRule(r *alerting.Rule, known map[string]MetricInfo) ([]promRule, error) {
	p := &promCtx{rule: r, known: known}
	var by []string
	for _, k := range r.By {
		by = append(by, promname.PrometheusLabelName(k))
	}
	if r.PerInstance && !slices.Contains(by, labelInstance) {
		// Prometheus' instance is the OTLP service.instance.id, the
		// label the in-process alerts of the rule carry.
		by = append(by, labelInstance)
	}
	p.by = strings.Join(by, ", ")
	base := promRule{Alert: r.Name, Labels: promLabels(r.Labels), Annotations: promAnnotations(r)}
	if r.For > 0 {
		base.For = promDuration(r.For)
	}
	if r.KeepFiringFor > 0 {
		base.KeepFiringFor = promDuration(r.KeepFiringFor)
	}
	var out []promRule
	switch c := r.Condition.(type) {
	case *alerting.Threshold:
		expr := p.agg(c.Aggregation, p.series(c.Metric, ""))
		if c.Of != nil {
			expr = "(" + expr + " / " + p.agg(c.Aggregation, p.series(*c.Of, "")) + ")"
		}
		base.Expr = expr + " " + string(cmpOp(c.Op)) + " " + num(c.Value)
	case *alerting.Ratio:
		den := p.increase(c.Denominator, c.Window)
		base.Expr = "(" + p.increase(c.Numerator, c.Window) + " / " + den + ") " + string(cmpOp(c.Op)) + " " + num(c.Value)
		if c.MinRequests > 0 {
			base.Expr = "(" + base.Expr + ") and (" + den + " >= " + num(c.MinRequests) + ")"
		}
	case *alerting.Quantile:
		if p.metric(c.Histogram).Type != TypeHistogram && p.err == nil {
			p.err = &fieldError{Rule: r.Name, Field: "quantile.histogram", Msg: c.Histogram.Metric + " is not a histogram"}
		}
		w := promDuration(c.Window)
		base.Expr = "histogram_quantile(" + num(c.Quantile) + ", " + p.sum("rate("+p.series(c.Histogram, "_bucket")+"["+w+"])", "le") +
			") " + string(cmpOp(c.Op)) + " " + num(c.Value)
		if c.MinCount > 0 {
			base.Expr = "(" + base.Expr + ") and (" + p.increase(c.Histogram, c.Window) + " >= " + num(c.MinCount) + ")"
		}
	case *alerting.CheckState:
		states := c.States
		if len(states) == 0 {
			states = []string{"fail"}
		}
		extra := []string{"igmon_check_state=~" + strconv.Quote(strings.Join(states, "|"))}
		if len(c.Checks) > 0 {
			q := make([]string, len(c.Checks))
			for i, n := range c.Checks {
				q[i] = regexp.QuoteMeta(n)
			}
			extra = append(extra, "igmon_check_name=~"+strconv.Quote(strings.Join(q, "|")))
		}
		status := p.series(alerting.Selector{Metric: "igmon.check.status"}, "", extra...)
		base.Expr = "max by (igmon_check_name) (" + status + ") == 1"
		if d := r.For + c.For; d > 0 {
			base.For = promDuration(d)
		}
	case *alerting.Absence:
		req := p.increase(c.Requests, c.Window)
		base.Expr = "(" + req + " >= " + num(max(c.MinRequests, 1)) + ") unless (" + p.increase(c.Success, c.Window) + " > 0)"
	case *alerting.SLO:
		out = exportSLO(p, c, base)
	}
	if p.err != nil {
		return nil, p.err
	}
	if len(out) == 0 {
		out = append(out, base)
	}
	return out, nil
}

// exportSLO renders one Prometheus rule per severity in the SRE
// workbook's multiwindow, multi-burn-rate form. The expression's value is
// the burn rate over the long window of the first pair that fires, as in
// process, where an SLO alert's value is a burn rate too (not the error
// ratio), so $value reads the same in annotations either way:
//
//	(errors[1h] / total[1h]) / (1 - 0.999) > 14.4 and (errors[5m] / total[5m]) / (1 - 0.999) > 14.4
//	  and total[1h] >= min_events and total[5m] >= min_events
//	or (…the next pair of the same severity…)
//
// The budget is written as (1 - objective) so Prometheus computes the
// same float64 the evaluator does. min_events guards both windows, as the
// evaluator does (a window with fewer events has no burn rate).
func exportSLO(p *promCtx, c *alerting.SLO, base promRule) []promRule {
	errRatio := func(w time.Duration) string {
		if c.Errors != nil {
			return "(" + p.increase(*c.Errors, w) + " / " + p.increase(c.Total, w) + ")"
		}
		good := p.sum("increase(" + p.series(c.Total, "_bucket", leMatcher(c.LatencyThreshold)) + "[" + promDuration(w) + "])")
		return "(1 - " + good + " / " + p.increase(c.Total, w) + ")"
	}
	budget := "(1 - " + num(c.Objective) + ")"
	burn := func(w time.Duration) string { return errRatio(w) + " / " + budget }
	var sevs []string
	for _, w := range burnWindows(c) {
		if !slices.Contains(sevs, w.Severity) {
			sevs = append(sevs, w.Severity)
		}
	}
	var out []promRule
	for _, sev := range sevs {
		var parts []string
		for _, w := range burnWindows(c) {
			if w.Severity != sev {
				continue
			}
			f := num(w.Factor)
			// The long window comes first: "a and b" keeps a's value.
			part := burn(w.Long) + " > " + f + " and " + burn(w.Short) + " > " + f
			if c.MinEvents > 0 {
				part += " and " + p.increase(c.Total, w.Long) + " >= " + num(c.MinEvents)
				if w.Short != w.Long {
					part += " and " + p.increase(c.Total, w.Short) + " >= " + num(c.MinEvents)
				}
			}
			parts = append(parts, "("+part+")")
		}
		pr := base
		pr.Labels = maps.Clone(base.Labels)
		if pr.Labels == nil {
			pr.Labels = map[string]string{}
		}
		pr.Labels["severity"] = sev
		pr.Expr = strings.Join(parts, " or ")
		out = append(out, pr)
	}
	return out
}

var (
	tmplIndexLabel = regexp.MustCompile(`index (?:\.Labels|\$labels) "([^"]+)"`)
	tmplAction     = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
)

func promAnnotations(r *alerting.Rule) map[string]string {
	if len(r.Annotations) == 0 {
		return nil
	}
	var window string
	var threshold float64
	switch c := r.Condition.(type) {
	case *alerting.Threshold:
		threshold = c.Value
	case *alerting.Ratio:
		window, threshold = promDuration(c.Window), c.Value
	case *alerting.Quantile:
		window, threshold = promDuration(c.Window), c.Value
	case *alerting.Absence:
		window = promDuration(c.Window)
	case *alerting.SLO:
		threshold = c.Objective
	}
	fields := map[string]string{
		".Value": "$value", ".Labels": "$labels", ".Threshold": num(threshold),
		".Window": strconv.Quote(window), ".Rule": strconv.Quote(r.Name), ".State": `"firing"`,
		"percent": "humanizePercentage", "duration": "humanizeDuration",
	}
	out := map[string]string{}
	for k, v := range r.Annotations {
		// Only template actions are rewritten; the text around them
		// ("request duration") stays as written.
		out[k] = tmplAction.ReplaceAllStringFunc(v, func(a string) string {
			a = tmplIndexLabel.ReplaceAllStringFunc(a, func(m string) string {
				key := tmplIndexLabel.FindStringSubmatch(m)[1]
				return `index $labels "` + promname.PrometheusLabelName(key) + `"`
			})
			return rewriteAction(a, fields)
		})
	}
	return out
}

// rewriteAction replaces whole identifiers and field chains of one
// template action through fields, leaving string literals alone: a label
// called "percentile" or a runbook text saying "duration" stays as it is.
// .Labels.x becomes $labels.x with x translated like an attribute key.
func rewriteAction(a string, fields map[string]string) string {
	var b strings.Builder
	isWord := func(c byte) bool {
		return c == '_' || c == '$' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; i < len(a); {
		c := a[i]
		switch {
		case c == '"' || c == '`':
			j := i + 1
			for j < len(a) && a[j] != c {
				if c == '"' && a[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(a))
			b.WriteString(a[i:j])
			i = j
		case isWord(c):
			j := i
			for j < len(a) && isWord(a[j]) {
				j++
			}
			b.WriteString(rewriteToken(a[i:j], fields))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func rewriteToken(tok string, fields map[string]string) string {
	if r, ok := fields[tok]; ok {
		return r
	}
	for _, p := range []string{".Labels.", "$labels."} {
		if rest, ok := strings.CutPrefix(tok, p); ok {
			name, chain, _ := strings.Cut(rest, ".")
			out := "$labels." + promname.PrometheusLabelName(name)
			if chain != "" {
				out += "." + chain
			}
			return out
		}
	}
	return tok
}

// promDuration renders d in Prometheus syntax: 5m, 1h30m, 3d.
func promDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	units := []struct {
		d time.Duration
		s string
	}{{7 * 24 * time.Hour, "w"}, {24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}}
	for _, u := range units {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.s)
			d -= n * u.d
		}
	}
	if b.Len() == 0 {
		return "1ms"
	}
	return b.String()
}
