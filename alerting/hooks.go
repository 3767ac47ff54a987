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
}
