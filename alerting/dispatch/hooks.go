package dispatch

import (
	"context"
	"time"

	"github.com/jackcode/igmon/internal/alerthook"
)

// init hands igmon's own packages the Dispatcher's seams that are not
// public API (see internal/alerthook): the Monitor records deliveries and
// silences, and tests tick the dispatcher and replace its retry wait.
// Package alerting sets the Evaluator's; State goes on to alerting's for
// anything that is not this package's.
func init() {
	alerthook.WithRetryWait = func(f func(ctx context.Context, d time.Duration) error) any { return withRetryWait(f) }
	alerthook.Tick = func(d any) { d.(*Dispatcher).tick() }
	alerthook.State = snapshotOf(alerthook.State)
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
