// Package ruleerr is the error of an invalid rule, shared by package
// alerting, which validates rules, and alerting/rulefile, which adds the
// line a rule file wrote the field on. It is not API: callers see the
// error's text and the sentinels alerting re-exports (ErrInvalidRule,
// ErrRuleLimit).
package ruleerr

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalid is alerting.ErrInvalidRule.
	ErrInvalid = errors.New("alerting: invalid rule")
	// ErrLimit is alerting.ErrRuleLimit.
	ErrLimit = errors.New("alerting: rule limit exceeded")
)

// Error names the rule and the field that failed validation. The rule
// file loader adds the line the field was written on.
type Error struct {
	Rule  string // rule name, or "#<index>" when the name is missing
	Field string // dotted path, e.g. "ratio.window"
	Line  int    // 1-based line in a rule file, 0 for Go values
	Msg   string
	// Limit marks a limit of the rule set, not of the rule (such as the
	// work of all annotation templates together): the error is also
	// ErrLimit.
	Limit bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "alerting: rule %q", e.Rule)
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// Is reports whether e is a limit of the whole rule set (ErrLimit).
func (e *Error) Is(target error) bool { return e.Limit && target == ErrLimit }
