package monitor

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/monitor/dashboard"
)

// historyOf returns one component's history over span.
func historyOf(t *testing.T, m *Monitor, span time.Duration, id string) (dashboard.History, dashboard.ComponentHistory) {
	t.Helper()
	h, err := (&statusPage{m: m}).History(context.Background(), span)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range h.Components {
		if c.ID == id {
			return h, c
		}
	}
	t.Fatalf("no history of %s in %v", id, span)
	return h, dashboard.ComponentHistory{}
}

func cardOf(t *testing.T, m *Monitor, id string) dashboard.Component {
	t.Helper()
	snap, err := (&statusPage{m: m}).Snapshot(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range snap.Groups {
		for _, c := range g.Components {
			if c.ID == id {
				return c
			}
		}
	}
	t.Fatalf("no card %s", id)
	return dashboard.Component{}
}

// trackCalls makes n calls of d, failing the first failing of them, each
// taking lat on the calls clock.
func trackCalls(d *Dependency, calls *clock.Fake, n, failing int, lat time.Duration) {
	for i := range n {
		_ = d.Track(context.Background(), "deposit", func(context.Context) error {
			calls.Advance(lat)
			if i < failing {
				return errors.New("declined by the PSP")
			}
			return nil
		})
	}
}

// TestHistoryLastPointIsTheCard: the finest tier records, every cycle, the
// status window's figures, so the chart's newest point is the card's
// number, and the worst status with its reason.
func TestHistoryLastPointIsTheCard(t *testing.T) {
	m, err := New(quiet, WithoutSystemMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	eng := clock.NewFake(time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC))
	engineOn(m, eng)
	calls := clock.NewFake(time.Now())
	stripe := mustDep(t, m, KindPayment, "stripe", withClock(calls))
	cycle(t, m)
	for range 6 {
		trackCalls(stripe, calls, 40, 25, 300*time.Millisecond)
		eng.Advance(DefaultStatusInterval)
		cycle(t, m)
	}
	card := cardOf(t, m, "payment-stripe")
	h, c := historyOf(t, m, 15*time.Minute, "payment-stripe")
	if h.Step != 5*time.Second || h.Window != DefaultStatusWindow || h.Points != 180 || len(c.P95) != 180 {
		t.Fatalf("15m: step %v window %v points %d (%d): want 5s, the status window, 180", h.Step, h.Window, h.Points, len(c.P95))
	}
	last := h.Points - 1
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }
	if !near(c.P95[last], card.P95) || !near(c.ErrorRate[last], card.ErrorRate) || !near(c.RequestRate[last], card.RequestRate) {
		t.Fatalf("last point p95 %v err %v rate %v, card %v %v %v", c.P95[last], c.ErrorRate[last], c.RequestRate[last], card.P95, card.ErrorRate, card.RequestRate)
	}
	if c.Status[last] != dashboard.StatusFail || card.Status != dashboard.StatusFail {
		t.Fatalf("status %q, card %q: want fail", c.Status[last], card.Status)
	}
	if !math.IsNaN(c.P95[0]) || c.Status[0] != "" {
		t.Fatalf("the oldest point of a fresh history must be empty, got %v %q", c.P95[0], c.Status[0])
	}
	seg := c.Uptime[len(c.Uptime)-1]
	if seg.Status != dashboard.StatusFail || !strings.Contains(seg.Reason, "calls failed") {
		t.Fatalf("last uptime segment %+v: want fail with the traffic reason", seg)
	}
	if pct, ok := c.UptimePct["24h"]; !ok || pct >= 50 {
		t.Fatalf("24h uptime %v (%v): want a failing share", pct, ok)
	}
	if _, ok := c.UptimePct["7d"]; ok {
		t.Fatal("7d uptime offered without durable history")
	}
}

// TestHistoryMinutesSumTheStatusWindows: a coarser point sums the status
// window's increases read once per window, so its rate is the calls made
// in the minute over the time covered, and its error ratio theirs.
func TestHistoryMinutesSumTheStatusWindows(t *testing.T) {
	m, err := New(quiet, WithoutSystemMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	eng := clock.NewFake(time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC))
	engineOn(m, eng)
	calls := clock.NewFake(time.Now())
	stripe := mustDep(t, m, KindPayment, "stripe", withClock(calls))
	cycle(t, m) // 06:00:00, the first tile starts
	// 06:00:05 … 06:00:55: 10 calls per cycle, 2 failing, slow ones.
	for range 11 {
		trackCalls(stripe, calls, 10, 2, 800*time.Millisecond)
		eng.Advance(DefaultStatusInterval)
		cycle(t, m)
	}
	// 06:01:00 … : fast and clean.
	for range 12 {
		trackCalls(stripe, calls, 10, 0, 20*time.Millisecond)
		eng.Advance(DefaultStatusInterval)
		cycle(t, m)
	}
	h, c := historyOf(t, m, time.Hour, "payment-stripe")
	if h.Step != time.Minute || h.Window != time.Minute || h.Points != 60 {
		t.Fatalf("1h: step %v window %v points %d", h.Step, h.Window, h.Points)
	}
	minute := h.Points - 2 // 06:00
	if got := h.Start.Add(time.Duration(minute) * h.Step); !got.Equal(time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("point %d is at %v", minute, got)
	}
	// The tiles read at 06:00:30 and 06:01:00 cover 06:00: 110 slow calls
	// (22 failed) and the 10 fast ones made before the 06:01:00 cycle, over
	// 60 s.
	if c.RequestRate[minute] != 2 || math.Abs(c.ErrorRate[minute]-22.0/120) > 1e-6 {
		t.Fatalf("06:00: rate %v/s, errors %v: want 2/s and 22/120", c.RequestRate[minute], c.ErrorRate[minute])
	}
	if c.P95[minute] < 0.7 || c.P95[minute] > 0.9 {
		t.Fatalf("06:00 p95 %v s: want the slow calls' 0.8 s", c.P95[minute])
	}
	if c.P95[minute+1] > 0.1 || c.ErrorRate[minute+1] != 0 {
		t.Fatalf("06:01: p95 %v errors %v: want fast and clean", c.P95[minute+1], c.ErrorRate[minute+1])
	}
}
