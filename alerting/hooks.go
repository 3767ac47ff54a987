package alerting

import (
	"time"

	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

// init hands igmon's own packages the seams that are not public API
// (see internal/alerthook): the Monitor reads the evaluator's clock and
// restores its state, and tests drive a fake clock. alerting/dispatch
// sets the Dispatcher's.
func init() {
	alerthook.WithClock = func(c clock.Clock) any { return withClock(c) }
	alerthook.Now = func(e any) time.Time { return e.(*Evaluator).now() }
	alerthook.State = snapshotOf
	alerthook.BurnWindows = func(slo any) any { return slo.(*SLO).windows() }
}
