package checks

import (
	"context"

	"github.com/jackcode/igmon/internal/checkhook"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/testhooks"
)

// The tests of other igmon packages reach the registry's clock, one run of
// a check and a check's settings through internal/checkstest; none of it
// is public API.
func init() {
	testhooks.ChecksWithClock = func(c clock.Clock) any { return withClock(c) }
	testhooks.ChecksRun = func(ctx context.Context, c any) testhooks.CheckOutcome {
		o := c.(*Check).run(ctx)
		var obs any
		if o.Observation != nil {
			obs = o.Observation
		}
		return testhooks.CheckOutcome{Status: uint8(o.Status), Err: o.Err, Observation: obs, Details: o.Details, Start: o.Start, Duration: o.Duration}
	}
	testhooks.ChecksSettings = func(c any) testhooks.CheckSettings {
		s := c.(*Check).s
		return testhooks.CheckSettings{Endpoints: uint8(s.endpoints), Timeout: s.timeout, Interval: s.interval, TTL: s.ttl,
			StaleAfter: s.staleAfter, OnRequest: s.onRequest, Critical: s.critical, ComponentType: s.componentType}
	}
	checkhook.NewCheck = newCheckWithDefaults
}

// newCheckWithDefaults is [NewCheck] for igmon's packages that build a
// check on defaults of their own (see internal/checkhook): the caller's
// opts are applied first, then the defaults for what opts did not set, so
// the caller's options win by construction and a repeated option is still
// refused. A default the caller may not override at all (a probe's
// interval and timeout) is kept out of opts by the caller's option type.
func newCheckWithDefaults(name string, fn func(context.Context) error, opts, defaults []any) (any, error) {
	s := defaultSettings()
	for _, o := range opts {
		if o != nil {
			o.(Option).apply(&s)
		}
	}
	for _, d := range defaults {
		if o := base(d.(Option)); !s.seen[o.name] {
			o.apply(&s)
		}
	}
	c, err := newCheck(name, fn, s)
	if err != nil {
		return nil, err
	}
	return c, nil
}
