package promrules

import (
	"fmt"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/alerthook"
)

// What this package needs of a rule beyond its exported fields: the same
// readings the evaluator makes, so an exported rule means what the
// in-process one means.

// labelInstance is the label a PerInstance rule's alerts carry
// (alerting.Rule.PerInstance).
const labelInstance = "instance"

// cmpOp is a threshold's comparison: an empty Op means Above, as for the
// evaluator.
func cmpOp(o alerting.Op) alerting.Op {
	if o == "" {
		return alerting.Above
	}
	return o
}

// burnWindows are the windows an SLO is evaluated over: its Windows, or
// the SRE workbook's defaults.
func burnWindows(c *alerting.SLO) []alerting.BurnWindow {
	return alerthook.BurnWindows(c).([]alerting.BurnWindow)
}

// kind names a condition as the rule file's key does, for errors.
func kind(c alerting.Condition) string {
	switch c.(type) {
	case *alerting.Threshold:
		return "threshold"
	case *alerting.Ratio:
		return "ratio"
	case *alerting.Quantile:
		return "quantile"
	case *alerting.CheckState:
		return "check_state"
	case *alerting.Absence:
		return "absence"
	case *alerting.SLO:
		return "slo"
	}
	return fmt.Sprintf("%T", c)
}

// fieldError is a rule the export cannot translate, worded as
// alerting's validation errors are and wrapping alerting.ErrInvalidRule.
type fieldError struct {
	Rule, Field, Msg string
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("alerting: rule %q field %s: %s", e.Rule, e.Field, e.Msg)
}

// Unwrap lets errors.Is(err, alerting.ErrInvalidRule) hold.
func (e *fieldError) Unwrap() error { return alerting.ErrInvalidRule }
