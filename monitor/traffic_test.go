package monitor

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// TestCardAlertAndStatsAreOneRead: a rule over the dashboard's latency
// selector, grouping and window shares the engine's read, so the alert's
// value, the card's p95 in status.json and Stats().P95 are the same
// number, not three estimates on three clocks.
func TestCardAlertAndStatsAreOneRead(t *testing.T) {
	sel, err := alerting.ParseSelector(selectorDependencyLatency)
	if err != nil {
		t.Fatal(err)
	}
	rule := alerting.Rule{Name: "DependencySlow", By: []string{igsemconv.AttrDependencyKind, igsemconv.AttrDependencyName},
		Labels:    map[string]string{"severity": "page"},
		Condition: &alerting.Quantile{Histogram: sel, Quantile: 0.95, Window: defaultStatusWindow, Value: 0.8}}
	m, err := New(quiet, WithoutSystemMetrics(), WithAlerting([]alerting.Rule{rule}))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	eng := clock.NewFake(time.Now())
	engineOn(m, eng)
	calls := clock.NewFake(time.Now())
	stripe := mustDep(t, m, instrument.KindPayment, "stripe", withClock(calls))
	cycle(t, m)
	ctx := context.Background()
	for i := range 60 {
		lat := 1500 * time.Millisecond
		if i%10 == 0 {
			lat = 40 * time.Millisecond
		}
		_ = stripe.Track(ctx, "deposit", func(context.Context) error { calls.Advance(lat); return nil })
	}
	eng.Advance(defaultStatusInterval)
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	var alertP95 float64
	var found bool
	for _, a := range m.currentAlerts() {
		if a.Rule == "DependencySlow" && a.Labels[igsemconv.AttrDependencyName] == "stripe" {
			alertP95, found = a.Value, true
		}
	}
	if !found {
		t.Fatalf("no DependencySlow alert for stripe: %+v", m.currentAlerts())
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

// TestStaleCheckNeverDecides: an on-request check nobody has asked for a
// while shows its age and its staleness on the card, and its old failure
// no longer decides the component's status.
func TestStaleCheckNeverDecides(t *testing.T) {
	fc := clock.NewFake(time.Now())
	m, err := New(quiet, WithoutSystemMetrics(), WithRegistryOptions(checkstest.WithClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	if err := m.Checks().Register("ledger", func(context.Context) error { return errors.New("ledger down") },
		checks.WithOnRequest(time.Second), checks.WithStaleAfter(time.Minute)); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	page := &statusPage{m: m}
	card := func() dashboard.Component {
		t.Helper()
		snap, err := page.Snapshot(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range snap.Groups {
			for _, c := range g.Components {
				if c.ID == "ledger" {
					return c
				}
			}
		}
		t.Fatal("no ledger card")
		return dashboard.Component{}
	}
	if c := card(); c.Status != dashboard.StatusFail || c.Signal != "check" || c.CheckedAt.IsZero() || c.Stale {
		t.Fatalf("fresh failure: %+v", c)
	}
	fc.Advance(2 * time.Minute)
	c := card()
	if c.Status != dashboard.StatusUnknown || c.Signal != "" || !c.Stale || !strings.Contains(c.Reason, "stale result") {
		t.Fatalf("a stale failure still decides: %+v", c)
	}
}

// TestStatusReadsOncePerCycle: the status reader runs once per engine
// cycle, after the alert rules, so each cycle adds one sparkline point.
func TestStatusReadsOncePerCycle(t *testing.T) {
	m, _ := newDepMonitor(t)
	eng := clock.NewFake(time.Now())
	engineOn(m, eng)
	d := mustDep(t, m, instrument.KindPayment, "stripe")
	for range 3 {
		_ = d.Track(context.Background(), "deposit", func(context.Context) error { return nil })
		eng.Advance(defaultStatusInterval)
		cycle(t, m)
	}
	if lat, _ := m.traffic.sparklines(depComponentID(instrument.KindPayment, "stripe")); len(lat) != 3 {
		t.Fatalf("%d sparkline points after 3 cycles", len(lat))
	}
}

// TestAlertsLinkOnlyTheirOwnCard: one rule grouped by dependency fires for
// two dependencies in the same cycle, so both alerts share a rule and a
// firing time. Each links to its own card only, and each card to its own
// alert: the page must not send the on-call from stripe's alert to adyen.
func TestAlertsLinkOnlyTheirOwnCard(t *testing.T) {
	sel, err := alerting.ParseSelector(selectorDependencyLatency)
	if err != nil {
		t.Fatal(err)
	}
	rule := alerting.Rule{Name: "DependencySlow", By: []string{igsemconv.AttrDependencyKind, igsemconv.AttrDependencyName},
		Labels:    map[string]string{"severity": "page"},
		Condition: &alerting.Quantile{Histogram: sel, Quantile: 0.95, Window: defaultStatusWindow, Value: 0.8}}
	m, err := New(quiet, WithoutSystemMetrics(), WithAlerting([]alerting.Rule{rule}))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	eng := clock.NewFake(time.Now())
	engineOn(m, eng)
	calls := clock.NewFake(time.Now())
	ctx := context.Background()
	deps := []*instrument.Dependency{
		mustDep(t, m, instrument.KindPayment, "stripe", withClock(calls)),
		mustDep(t, m, instrument.KindPayment, "adyen", withClock(calls)),
	}
	cycle(t, m)
	for _, d := range deps {
		for range 30 {
			_ = d.Track(ctx, "deposit", func(context.Context) error { calls.Advance(1500 * time.Millisecond); return nil })
		}
	}
	eng.Advance(defaultStatusInterval)
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := (&statusPage{m: m}).Snapshot(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	firing := 0
	for _, a := range snap.Alerts {
		if a.Name != "DependencySlow" || a.State != dashboard.AlertFiring {
			continue
		}
		firing++
		want := "payment-" + a.Labels[igsemconv.AttrDependencyName]
		if len(a.Components) != 1 || a.Components[0] != want {
			t.Errorf("alert for %s links to %v, want [%s]", a.Labels[igsemconv.AttrDependencyName], a.Components, want)
		}
	}
	if firing != 2 {
		t.Fatalf("%d DependencySlow alerts firing, want stripe's and adyen's: %+v", firing, snap.Alerts)
	}
}
