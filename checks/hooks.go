package checks

import (
	"context"

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
}
