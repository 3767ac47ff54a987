package alerting

import (
	"math"
	"testing"
	"time"
)

// TestSLONeedsBothWindows checks the workbook's two properties of a
// multiwindow alert: a short spike alone does not page (the long window
// is not burning), and an alert resets soon after the errors stop (the
// short window recovers) although the long window still burns.
func TestSLONeedsBothWindows(t *testing.T) {
	m := newMeters(t)
	errSel := mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="error"}`)
	e := newEval(t, m, []Rule{{Name: "Availability", Condition: &SLO{
		Objective: 0.999, Total: mustSel(t, `igmon.dependency.calls`), Errors: &errSel,
		Windows: []BurnWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4}}}}})
	step := func(errors int) *Alert {
		m.call("stripe", "deposit", "error", errors, 0.1)
		m.call("stripe", "deposit", "success", 100-errors, 0.1)
		m.clk.Advance(15 * time.Second)
		eval(t, e)
		return find(e.Alerts(), "Availability")
	}
	eval(t, e)
	for range 4 * 60 { // an hour of clean traffic
		step(0)
	}
	// 2 % errors (burn 20) for 5 minutes: the short window burns, the
	// hour is at ~1.7.
	var a *Alert
	for range 20 {
		a = step(2)
	}
	if a != nil && a.State != StateInactive {
		t.Fatalf("short spike paged: %+v", a)
	}
	// Keep burning for the rest of the hour: both windows burn.
	for range 4 * 55 {
		a = step(2)
	}
	if a == nil || a.State != StateFiring || math.Abs(a.Value-20) > 1 {
		t.Fatalf("sustained burn: %+v, want firing at ≈20", a)
	}
	// The errors stop: within the short window the alert resolves, while
	// the hour still burns well above 14.4.
	for range 21 {
		a = step(0)
	}
	if a == nil || a.State != StateResolved {
		t.Fatalf("after the errors stopped: %+v, want resolved", a)
	}
}
