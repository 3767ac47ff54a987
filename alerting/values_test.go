package alerting

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

var (
	nan  = math.NaN()
	inf  = math.Inf(1)
	year = 400 * 24 * time.Hour // above maxRuleDuration
)

func validRules() map[string]Rule {
	sel := Selector{Metric: "m"}
	errs := Selector{Metric: "e"}
	return map[string]Rule{
		"threshold":   {Name: "T", Condition: &Threshold{Metric: sel, Value: 1}},
		"ratio":       {Name: "R", Condition: &Ratio{Numerator: sel, Denominator: sel, Window: time.Minute, Value: 0.05}},
		"quantile":    {Name: "Q", Condition: &Quantile{Histogram: sel, Quantile: 0.95, Window: time.Minute, Value: 0.5}},
		"check_state": {Name: "C", Condition: &CheckState{}},
		"absence":     {Name: "A", Condition: &Absence{Success: sel, Requests: sel, Window: time.Minute}},
		"slo":         {Name: "S", Condition: &SLO{Objective: 0.999, Total: sel, Errors: &errs}},
		"latency slo": {Name: "L", Condition: &SLO{Objective: 0.99, Total: sel, LatencyThreshold: 0.3}},
	}
}

// nonsense lists values that used to be accepted: a NaN threshold never
// fires, a negative ratio or quantile always or never does, an infinite
// window is a typo.
var nonsense = []struct {
	kind, field string
	set         func(*Rule)
}{
	{"threshold", "threshold.value", func(r *Rule) { r.Condition.(*Threshold).Value = nan }},
	{"threshold", "threshold.value", func(r *Rule) { r.Condition.(*Threshold).Value = inf }},
	{"threshold", "threshold.value", func(r *Rule) { r.Condition.(*Threshold).Value = -inf }},
	{"ratio", "ratio.value", func(r *Rule) { r.Condition.(*Ratio).Value = nan }},
	{"ratio", "ratio.value", func(r *Rule) { r.Condition.(*Ratio).Value = inf }},
	{"ratio", "ratio.value", func(r *Rule) { r.Condition.(*Ratio).Value = -0.05 }},
	{"ratio", "ratio.min_requests", func(r *Rule) { r.Condition.(*Ratio).MinRequests = nan }},
	{"ratio", "ratio.min_requests", func(r *Rule) { r.Condition.(*Ratio).MinRequests = inf }},
	{"ratio", "ratio.min_requests", func(r *Rule) { r.Condition.(*Ratio).MinRequests = -1 }},
	{"ratio", "ratio.window", func(r *Rule) { r.Condition.(*Ratio).Window = year }},
	{"ratio", "ratio.window", func(r *Rule) { r.Condition.(*Ratio).Window = -time.Minute }},
	{"quantile", "quantile.value", func(r *Rule) { r.Condition.(*Quantile).Value = nan }},
	{"quantile", "quantile.value", func(r *Rule) { r.Condition.(*Quantile).Value = inf }},
	{"quantile", "quantile.value", func(r *Rule) { r.Condition.(*Quantile).Value = -0.5 }},
	{"quantile", "quantile.quantile", func(r *Rule) { r.Condition.(*Quantile).Quantile = nan }},
	{"quantile", "quantile.quantile", func(r *Rule) { r.Condition.(*Quantile).Quantile = 0 }},
	{"quantile", "quantile.quantile", func(r *Rule) { r.Condition.(*Quantile).Quantile = 1 }},
	{"quantile", "quantile.quantile", func(r *Rule) { r.Condition.(*Quantile).Quantile = -0.5 }},
	{"quantile", "quantile.min_count", func(r *Rule) { r.Condition.(*Quantile).MinCount = nan }},
	{"quantile", "quantile.min_count", func(r *Rule) { r.Condition.(*Quantile).MinCount = -1 }},
	{"quantile", "quantile.window", func(r *Rule) { r.Condition.(*Quantile).Window = year }},
	{"check_state", "check_state.for", func(r *Rule) { r.Condition.(*CheckState).For = year }},
	{"check_state", "check_state.for", func(r *Rule) { r.Condition.(*CheckState).For = -time.Second }},
	{"absence", "absence.min_requests", func(r *Rule) { r.Condition.(*Absence).MinRequests = nan }},
	{"absence", "absence.min_requests", func(r *Rule) { r.Condition.(*Absence).MinRequests = -inf }},
	{"absence", "absence.window", func(r *Rule) { r.Condition.(*Absence).Window = year }},
	{"slo", "slo.objective", func(r *Rule) { r.Condition.(*SLO).Objective = nan }},
	{"slo", "slo.objective", func(r *Rule) { r.Condition.(*SLO).Objective = 1 }},
	{"slo", "slo.objective", func(r *Rule) { r.Condition.(*SLO).Objective = 0 }},
	{"slo", "slo.objective", func(r *Rule) { r.Condition.(*SLO).Objective = inf }},
	{"slo", "slo.min_events", func(r *Rule) { r.Condition.(*SLO).MinEvents = nan }},
	{"slo", "slo.min_events", func(r *Rule) { r.Condition.(*SLO).MinEvents = -1 }},
	{"slo", "slo.period", func(r *Rule) { r.Condition.(*SLO).Period = year }},
	{"slo", "slo.latency_threshold", func(r *Rule) { r.Condition.(*SLO).LatencyThreshold = -0.3 }},
	{"latency slo", "slo.latency_threshold", func(r *Rule) { r.Condition.(*SLO).LatencyThreshold = nan }},
	{"latency slo", "slo.latency_threshold", func(r *Rule) { r.Condition.(*SLO).LatencyThreshold = inf }},
	{"slo", "slo.windows[0].factor", func(r *Rule) {
		r.Condition.(*SLO).Windows = []BurnWindow{{Severity: "page", Long: time.Hour, Short: time.Minute, Factor: nan}}
	}},
	{"slo", "slo.windows[0].factor", func(r *Rule) {
		r.Condition.(*SLO).Windows = []BurnWindow{{Severity: "page", Long: time.Hour, Short: time.Minute, Factor: inf}}
	}},
	{"slo", "slo.windows[0].long", func(r *Rule) {
		r.Condition.(*SLO).Windows = []BurnWindow{{Severity: "page", Long: year, Short: time.Minute, Factor: 2}}
	}},
	{"threshold", "for", func(r *Rule) { r.For = year }},
	{"threshold", "keep_firing_for", func(r *Rule) { r.KeepFiringFor = year }},
	{"threshold", "flap.window", func(r *Rule) { r.Flap = FlapDamping{Threshold: 3, Window: year} }},
	{"threshold", "flap.window", func(r *Rule) { r.Flap = FlapDamping{Window: -time.Minute} }},
}

// Nonsense values are refused when the rule is built, naming the rule and
// the field, by Validate, ValidateRules and NewEvaluator alike.
func TestNonsenseValuesRefused(t *testing.T) {
	for _, c := range nonsense {
		r := validRules()[c.kind]
		c.set(&r)
		err := r.validate(newValidation())
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Rule != r.Name || fe.Field != c.field {
			t.Errorf("%s %s: Validate = %v, want a fieldError for %s", c.kind, c.field, err, c.field)
			continue
		}
		if err := ValidateRules([]Rule{r}); err == nil || err.Error() != fe.Error() {
			t.Errorf("%s: ValidateRules = %v, want %v", c.field, err, fe)
		}
		if _, err := NewEvaluator([]Rule{r}); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: NewEvaluator = %v", c.field, err)
		}
	}
}

// What is odd but meaningful stays valid.
func TestEdgeValuesAccepted(t *testing.T) {
	for name, set := range map[string]func(*Rule){
		"negative gauge threshold": func(r *Rule) { r.Condition = &Threshold{Metric: Selector{Metric: "balance"}, Op: Below, Value: -100} },
		"ratio above 1 (retries/calls)": func(r *Rule) {
			r.Condition = &Ratio{Numerator: Selector{Metric: "a"}, Denominator: Selector{Metric: "b"}, Window: time.Minute, Value: 2.5}
		},
		"ratio of 0 with <=": func(r *Rule) {
			r.Condition = &Ratio{Numerator: Selector{Metric: "a"}, Denominator: Selector{Metric: "b"}, Window: time.Minute, Op: BelowOrEqual}
		},
		"quantile value 0": func(r *Rule) {
			r.Condition = &Quantile{Histogram: Selector{Metric: "h"}, Quantile: 0.5, Window: time.Minute}
		},
		"windows of 366 days": func(r *Rule) {
			r.For, r.KeepFiringFor = maxRuleDuration, maxRuleDuration
			r.Condition = &SLO{Objective: 0.9, Total: Selector{Metric: "t"}, Errors: &Selector{Metric: "e"}, Period: maxRuleDuration}
		},
	} {
		r := Rule{Name: "R"}
		set(&r)
		if err := r.validate(newValidation()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// 1.44 % errors against a 99.9 % objective burn the budget 14.4× too
// fast: a 30-day budget is gone in 50 hours, 2 % of it per hour.
func TestBurnRateArithmetic(t *testing.T) {
	rate := burnRate(0.0144, 0.999)
	got := fmt.Sprintf("%.1f %v %.0f%%", rate, timeToExhaustion(rate, 30*24*time.Hour),
		100*budgetConsumed(rate, time.Hour, 30*24*time.Hour))
	if got != "14.4 50h0m0s 2%" {
		t.Fatalf("burn arithmetic = %q, want 14.4 50h0m0s 2%%", got)
	}
	if thr := errorRatioThreshold(14.4, 0.999); math.Abs(thr-0.0144) > 1e-12 {
		t.Fatalf("errorRatioThreshold(14.4, 0.999) = %v, want 0.0144", thr)
	}
}

// A single-valued option given twice would silently replace the first;
// NewEvaluator refuses it naming itself and the option, and refuses a nil
// option. (dispatch.New's are in package dispatch.)
func TestOptionGivenTwiceIsRefused(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		name string
		opts []EvaluatorOption
		want string
	}{
		{"shared", []EvaluatorOption{WithLogger(logger), WithLogger(logger)}, "NewEvaluator: WithLogger given more than once"},
		{"evaluator", []EvaluatorOption{WithInterval(time.Second), WithInterval(time.Minute)}, "NewEvaluator: WithInterval given more than once"},
		{"nil", []EvaluatorOption{WithMaxSeries(10), nil}, "option #1 is nil"},
	} {
		_, err := NewEvaluator(nil, tt.opts...)
		if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrInvalidOption naming %q", tt.name, err, tt.want)
		}
	}
}
