package alerting

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/jackcode/igmon/alerting/internal/ruleerr"
)

// ErrInvalidRule is wrapped by every rule validation error.
var ErrInvalidRule = ruleerr.ErrInvalid

// ErrRuleLimit is wrapped by the error of a rule set that exceeds a limit:
// the work of all its annotation templates together (ValidateRules), or
// a limit of the rule-file loader (alerting/rulefile: the file size, the
// rule count, what its YAML aliases expand to). Such errors also wrap
// ErrInvalidRule.
var ErrRuleLimit = ruleerr.ErrLimit

// fieldError names the rule and the field that failed validation; it is
// shared with alerting/rulefile, which adds the line of a rule file.
type fieldError = ruleerr.Error

// Op compares a rule's value with its threshold.
type Op string

// Comparison operators.
const (
	Above        Op = ">"
	AboveOrEqual Op = ">="
	Below        Op = "<"
	BelowOrEqual Op = "<="
)

func (o Op) valid() bool {
	switch o {
	case Above, AboveOrEqual, Below, BelowOrEqual:
		return true
	}
	return false
}

func (o Op) compare(v, t float64) bool {
	switch o {
	case AboveOrEqual:
		return v >= t
	case Below:
		return v < t
	case BelowOrEqual:
		return v <= t
	}
	return v > t
}

// Aggregation combines the gauge values of series that fall into the same
// alert (the same values of Rule.By).
type Aggregation string

// Aggregations for Threshold rules.
const (
	AggMax Aggregation = "max"
	AggMin Aggregation = "min"
	AggSum Aggregation = "sum"
	AggAvg Aggregation = "avg"
)

// FlapDamping keeps an alert firing, marked flapping, while its condition
// changed more than Threshold times within Window.
type FlapDamping struct {
	Threshold int
	Window    time.Duration
}

// Rule is one alerting rule. Exactly one condition is set in Condition.
type Rule struct {
	// Name is the alert name, unique in a rule set; it becomes the
	// "alertname" label.
	Name string
	// Condition is one of *Threshold, *Ratio, *Quantile, *CheckState,
	// *Absence or *SLO.
	Condition Condition
	// By lists the attribute keys whose values tell alerts of one rule
	// apart, e.g. igmon.dependency.name. Series with equal values are
	// aggregated into one alert; with no keys the rule yields one alert.
	By []string
	// Labels are added to every alert of the rule (severity, team, ...).
	Labels map[string]string
	// Annotations are text/template strings rendered with the alert's
	// value: .Value, .Threshold, .Window, .Labels, .Rule, .State (and
	// Prometheus' $value and $labels); funcs humanize, percent (alias
	// humanizePercentage), duration (alias humanizeDuration). ValidateRules
	// executes each once, so a template that cannot run is refused.
	// Templates are bounded whatever their data: at most 64 KiB of text
	// and of output, and 100,000 steps (range iterations times the size
	// of the loop body, and strings built or compared); define, block and
	// template are not supported.
	Annotations map[string]string
	// For is how long the condition must hold before pending turns firing.
	For time.Duration
	// KeepFiringFor keeps a firing alert firing this long after the
	// condition stopped holding, so a gap in data does not resolve it.
	KeepFiringFor time.Duration
	// Flap enables flap damping when Threshold > 0.
	Flap FlapDamping
	// PerInstance marks a rule about one process rather than the service
	// (heap, goroutines, a host): its alerts carry an "instance" label
	// with the resource's service.instance.id (WithResource), so N
	// replicas raise N alerts. Other rules leave it out, so the replicas
	// of a fleet raise one identical alert per incident and an
	// Alertmanager cluster notifies once.
	PerInstance bool
}

// Selectors returns the metric selectors a rule reads (none for a
// check_state rule): what its alerts are about, for a reader that maps
// alerts to components.
func (r Rule) Selectors() []Selector {
	if r.Condition == nil {
		return nil
	}
	return r.Condition.selectors()
}

// Condition is the detection part of a rule. It is implemented by the
// condition types of this package only.
type Condition interface {
	// kind names the condition: threshold, ratio, quantile, check_state,
	// absence or slo.
	kind() string
	validate(fe func(field, format string, args ...any) error) error
	selectors() []Selector
}

// Threshold fires when the aggregated latest value of a gauge (or, with Of,
// the ratio of two gauges such as pool connections in use / max) crosses
// Value.
type Threshold struct {
	Metric      Selector
	Of          *Selector // optional denominator
	Aggregation Aggregation
	Op          Op
	Value       float64
}

// Ratio fires when increase(Numerator) / increase(Denominator) over Window
// crosses Value, once at least MinRequests denominator events arrived in
// the window. Counters and histograms (their counts) both work.
type Ratio struct {
	Numerator   Selector
	Denominator Selector
	Window      time.Duration
	MinRequests float64
	Op          Op
	Value       float64
}

// Quantile fires when the Quantile (0..1) of a histogram over Window,
// interpolated within buckets as Prometheus' histogram_quantile does,
// crosses Value (in the histogram's unit, seconds for durations).
type Quantile struct {
	Histogram Selector
	Quantile  float64
	Window    time.Duration
	MinCount  float64
	Op        Op
	Value     float64
}

// CheckState fires when a health check has been in one of States ("fail",
// "warn") for at least For. With no Checks, every check a CheckSource
// lists is watched.
type CheckState struct {
	Checks []string
	States []string
	For    time.Duration
}

// Absence is the silent-failure rule: it fires when Success saw no increase
// over Window while Requests increased by at least MinRequests, e.g. "no
// successful deposits for 10m while deposits are attempted". It never fires
// before a full Window of history exists.
type Absence struct {
	Success     Selector
	Requests    Selector
	Window      time.Duration
	MinRequests float64
}

// BurnWindow is one line of the SRE workbook's multi-window multi-burn-rate
// table: the alert is active when the burn rate exceeds Factor over both
// the Long and the Short window.
type BurnWindow struct {
	Severity string // value of the "severity" label, e.g. page or ticket
	Long     time.Duration
	Short    time.Duration
	Factor   float64
}

// defaultBurnWindows is table 5-8 of the SRE workbook.
var defaultBurnWindows = []BurnWindow{
	{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4},
	{Severity: "page", Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6},
	{Severity: "ticket", Long: 72 * time.Hour, Short: 6 * time.Hour, Factor: 1},
}

// SLO alerts on the error-budget burn rate of an availability objective
// (Errors / Total) or, with LatencyThreshold, a latency objective (the
// share of Total histogram observations slower than LatencyThreshold). It
// yields one alert per severity of Windows. A window with fewer than
// MinEvents events never counts as burning.
type SLO struct {
	Objective        float64 // e.g. 0.999
	Period           time.Duration
	Total            Selector
	Errors           *Selector
	LatencyThreshold float64
	Windows          []BurnWindow
	MinEvents        float64
}

// kind implements Condition.
func (*Threshold) kind() string { return "threshold" }

// kind implements Condition.
func (*Ratio) kind() string { return "ratio" }

// kind implements Condition.
func (*Quantile) kind() string { return "quantile" }

// kind implements Condition.
func (*CheckState) kind() string { return "check_state" }

// kind implements Condition.
func (*Absence) kind() string { return "absence" }

// kind implements Condition.
func (*SLO) kind() string { return "slo" }

type fieldErrFn = func(field, format string, args ...any) error

func checkSelector(fe fieldErrFn, field string, s Selector) error {
	if s.Metric == "" {
		return fe(field, "metric name is required")
	}
	return nil
}

func checkOp(fe fieldErrFn, op Op) error {
	if op != "" && !op.valid() {
		return fe("op", "unknown operator %q (want >, >=, < or <=)", op)
	}
	return nil
}

// maxRuleDuration is the longest window, period or hold time (for,
// keep_firing_for, flap.window) a rule may have: a year and a day. Longer
// ones are typos (5y for 5m) or would overflow time arithmetic.
const maxRuleDuration = 366 * 24 * time.Hour

func checkWindow(fe fieldErrFn, field string, w time.Duration) error {
	if w <= 0 {
		return fe(field, "must be a positive duration")
	}
	return checkDuration(fe, field, w)
}

// checkDuration refuses negative durations and ones above maxRuleDuration.
func checkDuration(fe fieldErrFn, field string, d time.Duration) error {
	if d < 0 {
		return fe(field, "must not be negative")
	}
	if d > maxRuleDuration {
		return fe(field, "%v is longer than the limit of 366d", d)
	}
	return nil
}

// checkFinite refuses NaN and ±Inf: a comparison with NaN is never true,
// so a rule with a NaN threshold would never fire.
func checkFinite(fe fieldErrFn, field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fe(field, "must be a finite number, got %v", v)
	}
	return nil
}

// checkNonNegative refuses NaN, ±Inf and negative numbers.
func checkNonNegative(fe fieldErrFn, field string, v float64) error {
	if err := checkFinite(fe, field, v); err != nil {
		return err
	}
	if v < 0 {
		return fe(field, "must not be negative, got %v", v)
	}
	return nil
}

func (c *Threshold) validate(fe fieldErrFn) error {
	if err := checkSelector(fe, "metric", c.Metric); err != nil {
		return err
	}
	if c.Of != nil {
		if err := checkSelector(fe, "of", *c.Of); err != nil {
			return err
		}
	}
	switch c.Aggregation {
	case "", AggMax, AggMin, AggSum, AggAvg:
	default:
		return fe("aggregation", "unknown aggregation %q (want max, min, sum or avg)", c.Aggregation)
	}
	if err := checkOp(fe, c.Op); err != nil {
		return err
	}
	// A gauge, or a quotient of gauges, may be negative (a balance, a
	// temperature): any finite threshold is valid.
	return checkFinite(fe, "value", c.Value)
}

func (c *Threshold) selectors() []Selector {
	if c.Of != nil {
		return []Selector{c.Metric, *c.Of}
	}
	return []Selector{c.Metric}
}

func (c *Ratio) validate(fe fieldErrFn) error {
	if err := checkSelector(fe, "numerator", c.Numerator); err != nil {
		return err
	}
	if err := checkSelector(fe, "denominator", c.Denominator); err != nil {
		return err
	}
	if err := checkWindow(fe, "window", c.Window); err != nil {
		return err
	}
	if err := checkNonNegative(fe, "min_requests", c.MinRequests); err != nil {
		return err
	}
	if err := checkOp(fe, c.Op); err != nil {
		return err
	}
	// Both increases are non-negative, so the ratio is too. It may exceed
	// 1 (retries per call), so only negative values are refused.
	return checkNonNegative(fe, "value", c.Value)
}

func (c *Ratio) selectors() []Selector { return []Selector{c.Numerator, c.Denominator} }

func (c *Quantile) validate(fe fieldErrFn) error {
	if err := checkSelector(fe, "histogram", c.Histogram); err != nil {
		return err
	}
	if !(c.Quantile > 0 && c.Quantile < 1) {
		return fe("quantile", "must be between 0 and 1 exclusive, got %v", c.Quantile)
	}
	if err := checkWindow(fe, "window", c.Window); err != nil {
		return err
	}
	if err := checkNonNegative(fe, "min_count", c.MinCount); err != nil {
		return err
	}
	if err := checkOp(fe, c.Op); err != nil {
		return err
	}
	// Interpolation starts the lowest bucket at 0, as histogram_quantile
	// does, so a quantile is never negative.
	return checkNonNegative(fe, "value", c.Value)
}

func (c *Quantile) selectors() []Selector { return []Selector{c.Histogram} }

var checkStates = map[string]bool{"pass": true, "warn": true, "fail": true, "unknown": true}

func (c *CheckState) validate(fe fieldErrFn) error {
	for i, s := range c.States {
		if !checkStates[s] {
			return fe(fmt.Sprintf("states[%d]", i), "unknown check state %q (want pass, warn, fail or unknown)", s)
		}
	}
	return checkDuration(fe, "for", c.For)
}

func (c *CheckState) selectors() []Selector { return nil }

func (c *Absence) validate(fe fieldErrFn) error {
	if err := checkSelector(fe, "success", c.Success); err != nil {
		return err
	}
	if err := checkSelector(fe, "requests", c.Requests); err != nil {
		return err
	}
	if err := checkNonNegative(fe, "min_requests", c.MinRequests); err != nil {
		return err
	}
	return checkWindow(fe, "window", c.Window)
}

func (c *Absence) selectors() []Selector { return []Selector{c.Success, c.Requests} }

func (c *SLO) validate(fe fieldErrFn) error {
	if !(c.Objective > 0 && c.Objective < 1) {
		return fe("objective", "must be between 0 and 1 exclusive, got %v", c.Objective)
	}
	if err := checkDuration(fe, "period", c.Period); err != nil {
		return err
	}
	if err := checkSelector(fe, "total", c.Total); err != nil {
		return err
	}
	if err := checkNonNegative(fe, "latency_threshold", c.LatencyThreshold); err != nil {
		return err
	}
	switch {
	case c.Errors == nil && c.LatencyThreshold <= 0:
		return fe("errors", "set errors (availability) or latency_threshold (latency objective)")
	case c.Errors != nil && c.LatencyThreshold > 0:
		return fe("latency_threshold", "set either errors or latency_threshold, not both")
	case c.Errors != nil:
		if err := checkSelector(fe, "errors", *c.Errors); err != nil {
			return err
		}
	}
	for i, w := range c.Windows {
		f := fmt.Sprintf("windows[%d]", i)
		if w.Long <= 0 || w.Short <= 0 || w.Short > w.Long {
			return fe(f, "need 0 < short <= long, got long=%v short=%v", w.Long, w.Short)
		}
		if err := checkDuration(fe, f+".long", w.Long); err != nil {
			return err
		}
		if err := checkFinite(fe, f+".factor", w.Factor); err != nil {
			return err
		}
		if w.Factor <= 0 {
			return fe(f+".factor", "must be positive")
		}
		if w.Severity == "" {
			return fe(f+".severity", "is required")
		}
	}
	return checkNonNegative(fe, "min_events", c.MinEvents)
}

func (c *SLO) selectors() []Selector {
	if c.Errors != nil {
		return []Selector{c.Total, *c.Errors}
	}
	return []Selector{c.Total}
}

func (c *SLO) windows() []BurnWindow {
	if len(c.Windows) == 0 {
		return defaultBurnWindows
	}
	return c.Windows
}

func (c *SLO) period() time.Duration {
	if c.Period == 0 {
		return 30 * 24 * time.Hour
	}
	return c.Period
}

// validation is what the rules of one ValidateRules call
// share: the annotation texts already checked, which are not run again (a
// YAML anchor can put one template in thousands of rules), and the steps
// left for all their templates together.
type validation struct {
	templates     map[string]bool
	templateSteps int64
}

func newValidation() *validation {
	return &validation{templates: map[string]bool{}, templateSteps: maxRulesTemplateSteps}
}

func (r *Rule) validate(v *validation) error {
	name := r.Name
	fe := func(field, format string, args ...any) error {
		return &fieldError{Rule: name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if r.Name == "" {
		return fe("name", "is required")
	}
	if r.Condition == nil {
		return fe("kind", "a condition is required (threshold, ratio, quantile, check_state, absence or slo)")
	}
	kind := r.Condition.kind()
	sub := func(field, format string, args ...any) error {
		return fe(kind+"."+field, format, args...)
	}
	if err := r.Condition.validate(sub); err != nil {
		return err
	}
	if err := checkDuration(fe, "for", r.For); err != nil {
		return err
	}
	if err := checkDuration(fe, "keep_firing_for", r.KeepFiringFor); err != nil {
		return err
	}
	if r.Flap.Threshold < 0 {
		return fe("flap.threshold", "must not be negative")
	}
	if r.Flap.Threshold > 0 && r.Flap.Window <= 0 {
		return fe("flap.window", "must be positive when flap.threshold is set")
	}
	if err := checkDuration(fe, "flap.window", r.Flap.Window); err != nil {
		return err
	}
	for k := range r.Labels {
		if k == "" {
			return fe("labels", "empty label name")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Annotations)) {
		if err := checkTemplate(v, r.Name+"/"+k, r.Annotations[k], r); err != nil {
			var lim *fieldError
			if errors.As(err, &lim) && lim.Limit {
				lim.Rule, lim.Field = name, "annotations."+k
				return lim
			}
			return fe("annotations."+k, "%v", err)
		}
	}
	return nil
}

// ValidateRules validates each rule and checks that names are unique.
// Annotation templates are bounded as a single rule's are and, together,
// to 5,000,000 steps (ErrRuleLimit); a text that appears in several
// rules is run once.
func ValidateRules(rules []Rule) error {
	v := newValidation()
	seen := make(map[string]bool, len(rules))
	for i := range rules {
		if err := rules[i].validate(v); err != nil {
			return err
		}
		if seen[rules[i].Name] {
			return &fieldError{Rule: rules[i].Name, Field: "name", Msg: "duplicate rule name"}
		}
		seen[rules[i].Name] = true
	}
	return nil
}
