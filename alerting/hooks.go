package alerting

import (
	"context"
	"time"

	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

// init hands igmon's own packages the seams that are not public API
// (see internal/alerthook): the Monitor reads the evaluator's clock, and
// tests drive a fake clock and tick the dispatcher.
func init() {
	alerthook.WithClock = func(c clock.Clock) any { return withClock(c) }
	alerthook.WithRetryWait = func(f func(ctx context.Context, d time.Duration) error) any { return withRetryWait(f) }
	alerthook.Tick = func(d any) { d.(*Dispatcher).tick() }
	alerthook.Now = func(e any) time.Time { return e.(*Evaluator).now() }
	alerthook.State = snapshotOf
	alerthook.BurnWindows = func(slo any) any { return slo.(*SLO).windows() }
	alerthook.SubscribeSilences = func(s any, fn func(created bool, silence any, at time.Time)) func() {
		return s.(*Silences).subscribe(func(c silenceChange) { fn(c.Kind == silenceCreated, c.Silence, c.Time) })
	}
	alerthook.Muted = func(s any, labels map[string]string, now time.Time) bool {
		_, ok := s.(*Silences).mutedBy(labels, now)
		return ok
	}
	alerthook.WithDeliveryListener = func(fn func(receiver, groupKey string, firing, resolved int, err error)) any {
		return withDeliveryListener(func(d deliveryOutcome) { fn(d.Receiver, d.GroupKey, d.Firing, d.Resolved, d.Err) })
	}
}
