package alerting

import (
	"testing"
	"time"
)

// TestRestoredMetricAlertWaitsForAWindow: counters start over with the
// process, so a restored firing ratio alert neither resolves on the empty
// window of the first cycles (a false resolve, then a second page) nor
// stays firing once a whole window of clean traffic says it is over.
func TestRestoredMetricAlertWaitsForAWindow(t *testing.T) {
	rule := Rule{
		Name: "DependencyErrorRate", By: []string{"igmon.dependency.name"},
		Condition: &Ratio{
			Numerator:   mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="error"}`),
			Denominator: mustSel(t, `igmon.dependency.calls`),
			Window:      time.Minute, MinRequests: 10, Value: 0.5,
		},
	}
	m := newMeters(t)
	e := newEval(t, m, []Rule{rule})
	eval(t, e)
	m.call("stripe", "deposit", "error", 20, 0.1)
	m.clk.Advance(15 * time.Second)
	before := find(eval(t, e), "DependencyErrorRate")
	if before == nil || before.State != StateFiring {
		t.Fatalf("before the restart: %+v", before)
	}
	b, err := e.marshalState()
	if err != nil {
		t.Fatal(err)
	}

	// The new process: fresh counters, the same clock.
	m2 := newMeters(t)
	m2.clk.Set(m.clk.Now().Add(30 * time.Second))
	e2 := newEval(t, m2, []Rule{rule})
	if err := e2.unmarshalState(b); err != nil {
		t.Fatal(err)
	}
	if a := find(e2.Alerts(), "DependencyErrorRate"); a == nil || a.State != StateFiring || a.Fingerprint != before.Fingerprint {
		t.Fatalf("restored before the first cycle: %+v", e2.Alerts())
	}
	for range 3 { // 45 s of clean traffic: less than a window
		m2.call("stripe", "deposit", "success", 20, 0.1)
		a := find(eval(t, e2), "DependencyErrorRate")
		if a == nil || a.State != StateFiring || !a.FiredAt.Equal(before.FiredAt) {
			t.Fatalf("restored alert changed within its first window: %+v", a)
		}
		m2.clk.Advance(15 * time.Second)
	}
	m2.call("stripe", "deposit", "success", 20, 0.1)
	m2.clk.Advance(15 * time.Second)
	if a := find(eval(t, e2), "DependencyErrorRate"); a == nil || a.State != StateResolved {
		t.Fatalf("after a whole clean window: %+v", a)
	}
}
