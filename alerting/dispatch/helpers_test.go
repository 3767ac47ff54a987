package dispatch

import (
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/opts"
	"github.com/jackcode/igmon/internal/clock"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

// withClock sets the dispatcher's time source (an alerting.SharedOption,
// so it also sets an Evaluator's).
func withClock(c clock.Clock) alerting.SharedOption { return opts.WithClock(c) }

func mustMatchers(t testing.TB, s string) alerting.Matchers {
	t.Helper()
	ms, err := alerting.ParseMatchers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func mustSel(t testing.TB, s string) alerting.Selector {
	t.Helper()
	sel, err := alerting.ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}
