// Package alerthook gives igmon's own packages and tests the seams of
// package alerting that are not public API: its time source, the wait
// between delivery attempts, a dispatcher tick and an evaluator's clock
// reading, the state snapshots of the data directory. Package alerting fills the variables in when it is
// initialised, so they are set in every program that links alerting.
// The values are typed any because alerting imports this package.
package alerthook

import (
	"context"
	"encoding"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

var (
	// WithClock returns an alerting.SharedOption that sets the time source
	// of an Evaluator or a Dispatcher (tests pass a *clock.Fake).
	WithClock func(c clock.Clock) any
	// WithRetryWait returns an dispatch.Option that replaces how delivery
	// waits between attempts; f must return ctx.Err() when ctx ends.
	WithRetryWait func(f func(ctx context.Context, d time.Duration) error) any
	// Tick flushes the groups of an *dispatch.Dispatcher that are due at
	// its clock's time (Start does so every tick interval).
	Tick func(d any)
	// Now reads the clock of an *alerting.Evaluator, so that code reasoning
	// about its alerts' windows uses the same time.
	Now func(e any) time.Time
	// State is the data-directory snapshot of an *dispatch.Silences, an
	// *alerting.Evaluator (alert states) or an *dispatch.Dispatcher (the
	// notification log): versioned JSON that restores after a restart.
	State func(x any) Snapshot
	// BurnWindows returns the []alerting.BurnWindow an *alerting.SLO is
	// evaluated over: its Windows, or the SRE workbook's defaults.
	BurnWindows func(slo any) any
	// SubscribeSilences calls fn after every silence an *dispatch.Silences
	// creates (created true) or expires, with the dispatch.Silence as it is
	// after the change and the time on the set's clock, until unsubscribe.
	// fn runs after the set's lock is released and must not block.
	SubscribeSilences func(s any, fn func(created bool, silence any, at time.Time)) (unsubscribe func())
	// Muted reports whether an active silence of an *dispatch.Silences
	// matches labels at now.
	Muted func(s any, labels map[string]string, now time.Time) bool
	// WithDeliveryListener returns an dispatch.Option that calls fn with
	// the final outcome of every notification, after retries (err nil:
	// delivered). fn runs on the receiver's delivery goroutine and must
	// not block.
	WithDeliveryListener func(fn func(receiver, groupKey string, firing, resolved int, err error)) any
)

// Snapshot encodes a piece of alerting state and replaces it with what
// it encoded.
type Snapshot interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}
