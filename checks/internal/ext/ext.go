package ext

import (
	"context"
	"time"
)

// Builder is a built-in check under construction: checks' own builtin
// state, seen from outside.
type Builder interface {
	// Fail records the first configuration error, naming field.
	Fail(field, format string, a ...any)
	// Failed reports whether an error was recorded.
	Failed() bool
	// SetMeasurement replaces the observed measurement's name.
	SetMeasurement(m string)
	// LatencyWarn is the WithLatencyWarn threshold (0 when unset).
	LatencyWarn() time.Duration
	// Configure applies one option (any of checks' option types, or nil).
	// For an option
	// made by NewOption it calls own with the option's payload; own reports
	// whether the payload belongs to this constructor.
	Configure(opt any, own func(payload any) bool)
	// Build validates the configuration and returns a *checks.Check.
	Build(fn func(context.Context) error) (any, error)
}

// Hooks set by package checks.
var (
	// NewBuilder starts a built-in check. kind names the constructor in
	// errors ("hostcheck.Memory").
	NewBuilder func(kind, name, component, measurement string) Builder
	// NewOption returns an option of the constructor owner's option type
	// (checks.MemoryOption for "hostcheck.Memory", checks.DiskOption for
	// "hostcheck.DiskFree"), so giving it to another constructor does not
	// compile.
	NewOption func(name, owner string, payload any) any
	// DefaultName is checks' default check name: prefix-s cleaned to the
	// bytes a name may hold.
	DefaultName func(prefix, s string) string
	// Latency observes the round trip that began at start as
	// "responseTime" and turns it into a warning above warnAbove.
	Latency func(ctx context.Context, start time.Time, warnAbove time.Duration) error
	// EvaluateCheck runs the check called name in reg (a *checks.Registry)
	// if its result needs a run, the way /readyz/<name> does, and returns
	// its checks.Status (unknown counted as fail); ok is false for an
	// unknown name.
	EvaluateCheck func(ctx context.Context, reg any, name string) (status any, ok bool)
)

// Option returns an O (the owner's option type, such as
// checks.MemoryOption) owned by the constructor owner that applies fn to
// its configuration T.
func Option[O, T any](name, owner string, fn func(*T)) O {
	return NewOption(name, owner, fn).(O)
}

// Configure applies opts to b, handing the options made by [Option] for T
// to cfg.
func Configure[O, T any](b Builder, cfg *T, opts []O) {
	own := func(p any) bool {
		fn, ok := p.(func(*T))
		if ok {
			fn(cfg)
		}
		return ok
	}
	for _, o := range opts {
		b.Configure(o, own)
	}
}

// Build finishes b as a C (*checks.Check).
func Build[C any](b Builder, fn func(context.Context) error) (C, error) {
	c, err := b.Build(fn)
	if err != nil {
		var zero C
		return zero, err
	}
	return c.(C), nil
}

// Evaluate is EvaluateCheck with a typed status S (checks.Status).
func Evaluate[S, R any](ctx context.Context, reg R, name string) (S, bool) {
	st, ok := EvaluateCheck(ctx, reg, name)
	if !ok {
		var zero S
		return zero, false
	}
	return st.(S), true
}
