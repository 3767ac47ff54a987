package monitor

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/monitor/dashboard"
)

// TestCardAlertAndStatsAreOneRead: a rule over the dashboard's latency
// selector, grouping and window shares the engine's read, so the alert's
// value, the card's p95 in status.json and Stats().P95 are the same
// number, not three estimates on three clocks.
func TestCardAlertAndStatsAreOneRead(t *testing.T) {
	sel, err := alerting.ParseSelector(SelectorDependencyLatency)
	if err != nil {
		t.Fatal(err)
	}
	rule := alerting.Rule{Name: "DependencySlow", By: []string{AttrDependencyKind, AttrDependencyName},
		Labels:    map[string]string{"severity": "page"},
		Condition: &alerting.Quantile{Histogram: sel, Quantile: 0.95, Window: DefaultStatusWindow, Value: 0.8}}
	m, err := New(quiet, WithoutSystemMetrics(), WithAlerting([]alerting.Rule{rule}))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	eng := clock.NewFake(time.Now())
	engineOn(m, eng)
	calls := clock.NewFake(time.Now())
	stripe := mustDep(t, m, KindPayment, "stripe", withClock(calls))
	cycle(t, m)
	ctx := context.Background()
	for i := range 60 {
		lat := 1500 * time.Millisecond
		if i%10 == 0 {
			lat = 40 * time.Millisecond
		}
		_ = stripe.Track(ctx, "deposit", func(context.Context) error { calls.Advance(lat); return nil })
	}
	eng.Advance(DefaultStatusInterval)
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	var alertP95 float64
	var found bool
	for _, a := range m.Alerts() {
		if a.Rule == "DependencySlow" && a.Labels[AttrDependencyName] == "stripe" {
			alertP95, found = a.Value, true
		}
	}
	if !found {
		t.Fatalf("no DependencySlow alert for stripe: %+v", m.Alerts())
	}
	snap, err := (&statusPage{m: m}).Snapshot(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var card dashboard.Component
	for _, g := range snap.Groups {
		for _, c := range g.Components {
			if c.ID == "payment-stripe" {
				card = c
			}
		}
	}
	st := stripe.Stats()
	if card.P95 != alertP95 || math.Abs(st.P95.Seconds()-alertP95) > 1e-9 || math.IsNaN(alertP95) {
		t.Fatalf("p95: card %v, alert %v, Stats %v: want one number", card.P95, alertP95, st.P95)
	}
	for _, a := range snap.Alerts {
		if a.Name == "DependencySlow" && a.ValueText != formatSeconds(card.P95) {
			t.Errorf("alert value text %q, card p95 %v", a.ValueText, card.P95)
		}
	}
	if card.Status != dashboard.StatusFail || card.Signal != "alert" {
		t.Errorf("the card is %s decided by %q, want fail by the firing page alert (%s)", card.Status, card.Signal, card.Reason)
	}
}
