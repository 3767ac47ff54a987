// Package checkhook gives igmon's packages that build checks on top of
// their own defaults (probes.Probe.Check, instrument's passive health
// check) a way to let the caller's options win by construction: the
// defaults fill in only what the caller did not give, so no option
// replaces another and a repeated option can be refused. Package checks
// fills the variable in when it is initialised; values are typed any
// where they are checks' own types, because checks imports this package.
package checkhook

import "context"

// NewCheck is set by package checks. It builds a *checks.Check from opts
// (checks.Option values) and then from the defaults whose option (by
// function: WithInterval, WithCritical, ...) opts does not give. An option
// the caller may not give at all (a probe's WithInterval and WithTimeout)
// is kept out of opts by the caller's option type (checks.ProbeOption), not
// here.
var NewCheck func(name string, fn func(context.Context) error, opts, defaults []any) (any, error)

// Build is [NewCheck] with typed options O (checks.Option or
// checks.ProbeOption) and D (checks.Option) and result C (*checks.Check).
func Build[C, O, D any](name string, fn func(context.Context) error, opts []O, defaults []D) (C, error) {
	c, err := NewCheck(name, fn, anys(opts), anys(defaults))
	if err != nil {
		var zero C
		return zero, err
	}
	return c.(C), nil
}

func anys[O any](opts []O) []any {
	out := make([]any, len(opts))
	for i, o := range opts {
		out[i] = o
	}
	return out
}
