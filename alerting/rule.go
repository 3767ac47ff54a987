package alerting

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidRule is wrapped by every rule validation error.
var ErrInvalidRule = errors.New("alerting: invalid rule")

// FieldError names the rule and the field that failed validation. The rule
// loader adds the line the field was written on.
type FieldError struct {
	Rule  string // rule name, or "#<index>" when the name is missing
	Field string // dotted path, e.g. "ratio.window"
	Line  int    // 1-based line in a rule file, 0 for Go values
	Msg   string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("alerting: rule ")
	b.WriteString(fmt.Sprintf("%q", e.Rule))
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	if e.Line > 0 {
		b.WriteString(fmt.Sprintf(" (line %d)", e.Line))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalidRule) hold.
func (e *FieldError) Unwrap() error { return ErrInvalidRule }

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
	// humanizePercentage), duration (alias humanizeDuration). Validate
	// executes each once, so a template that cannot run is refused.
	Annotations map[string]string
	// For is how long the condition must hold before pending turns firing.
	For time.Duration
	// KeepFiringFor keeps a firing alert firing this long after the
	// condition stopped holding, so a gap in data does not resolve it.
	KeepFiringFor time.Duration
	// Flap enables flap damping when Threshold > 0.
	Flap FlapDamping
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
	// Kind names the condition: threshold, ratio, quantile, check_state,
	// absence or slo.
	Kind() string
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

// DefaultBurnWindows is table 5-8 of the SRE workbook.
var DefaultBurnWindows = []BurnWindow{
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

// Kind implements Condition.
func (*Threshold) Kind() string { return "threshold" }

// Kind implements Condition.
func (*Ratio) Kind() string { return "ratio" }

// Kind implements Condition.
func (*Quantile) Kind() string { return "quantile" }

// Kind implements Condition.
func (*CheckState) Kind() string { return "check_state" }

// Kind implements Condition.
func (*Absence) Kind() string { return "absence" }

// Kind implements Condition.
func (*SLO) Kind() string { return "slo" }

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

func checkWindow(fe fieldErrFn, field string, w time.Duration) error {
	if w <= 0 {
		return fe(field, "must be a positive duration")
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
	return checkOp(fe, c.Op)
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
	if c.MinRequests < 0 {
		return fe("min_requests", "must not be negative")
	}
	return checkOp(fe, c.Op)
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
	return checkOp(fe, c.Op)
}

func (c *Quantile) selectors() []Selector { return []Selector{c.Histogram} }

var checkStates = map[string]bool{"pass": true, "warn": true, "fail": true, "unknown": true}

func (c *CheckState) validate(fe fieldErrFn) error {
	for i, s := range c.States {
		if !checkStates[s] {
			return fe(fmt.Sprintf("states[%d]", i), "unknown check state %q (want pass, warn, fail or unknown)", s)
		}
	}
	if c.For < 0 {
		return fe("for", "must not be negative")
	}
	return nil
}

func (c *CheckState) selectors() []Selector { return nil }

func (c *Absence) validate(fe fieldErrFn) error {
	if err := checkSelector(fe, "success", c.Success); err != nil {
		return err
	}
	if err := checkSelector(fe, "requests", c.Requests); err != nil {
		return err
	}
	if c.MinRequests < 0 {
		return fe("min_requests", "must not be negative")
	}
	return checkWindow(fe, "window", c.Window)
}

func (c *Absence) selectors() []Selector { return []Selector{c.Success, c.Requests} }

func (c *SLO) validate(fe fieldErrFn) error {
	if !(c.Objective > 0 && c.Objective < 1) {
		return fe("objective", "must be between 0 and 1 exclusive, got %v", c.Objective)
	}
	if c.Period < 0 {
		return fe("period", "must not be negative")
	}
	if err := checkSelector(fe, "total", c.Total); err != nil {
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
		if w.Factor <= 0 {
			return fe(f+".factor", "must be positive")
		}
		if w.Severity == "" {
			return fe(f+".severity", "is required")
		}
	}
	if c.MinEvents < 0 {
		return fe("min_events", "must not be negative")
	}
	return nil
}

func (c *SLO) selectors() []Selector {
	if c.Errors != nil {
		return []Selector{c.Total, *c.Errors}
	}
	return []Selector{c.Total}
}

func (c *SLO) windows() []BurnWindow {
	if len(c.Windows) == 0 {
		return DefaultBurnWindows
	}
	return c.Windows
}

func (c *SLO) period() time.Duration {
	if c.Period == 0 {
		return 30 * 24 * time.Hour
	}
	return c.Period
}

// Validate checks r and returns a *FieldError naming the offending field.
func (r *Rule) Validate() error {
	name := r.Name
	fe := func(field, format string, args ...any) error {
		return &FieldError{Rule: name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if r.Name == "" {
		return fe("name", "is required")
	}
	if r.Condition == nil {
		return fe("kind", "a condition is required (threshold, ratio, quantile, check_state, absence or slo)")
	}
	kind := r.Condition.Kind()
	sub := func(field, format string, args ...any) error {
		return fe(kind+"."+field, format, args...)
	}
	if err := r.Condition.validate(sub); err != nil {
		return err
	}
	if r.For < 0 {
		return fe("for", "must not be negative")
	}
	if r.KeepFiringFor < 0 {
		return fe("keep_firing_for", "must not be negative")
	}
	if r.Flap.Threshold < 0 {
		return fe("flap.threshold", "must not be negative")
	}
	if r.Flap.Threshold > 0 && r.Flap.Window <= 0 {
		return fe("flap.window", "must be positive when flap.threshold is set")
	}
	for k := range r.Labels {
		if k == "" {
			return fe("labels", "empty label name")
		}
	}
	for k, v := range r.Annotations {
		if err := checkTemplate(r.Name+"/"+k, v, r); err != nil {
			return fe("annotations."+k, "%v", err)
		}
	}
	return nil
}

// ValidateRules validates each rule and checks that names are unique.
func ValidateRules(rules []Rule) error {
	seen := make(map[string]bool, len(rules))
	for i := range rules {
		if err := rules[i].Validate(); err != nil {
			return err
		}
		if seen[rules[i].Name] {
			return &FieldError{Rule: rules[i].Name, Field: "name", Msg: "duplicate rule name"}
		}
		seen[rules[i].Name] = true
	}
	return nil
}
