package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/series"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
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
func trackCalls(d *instrument.Dependency, calls *clock.Fake, n, failing int, lat time.Duration) {
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
	m, eng := newEngineMonitor(t, time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC))
	calls := clock.NewFake(time.Now())
	stripe := mustDep(t, m, instrument.KindPayment, "stripe", withClock(calls))
	cycle(t, m)
	for range 6 {
		trackCalls(stripe, calls, 40, 25, 300*time.Millisecond)
		eng.Advance(defaultStatusInterval)
		cycle(t, m)
	}
	card := cardOf(t, m, "payment-stripe")
	h, c := historyOf(t, m, 15*time.Minute, "payment-stripe")
	if h.Step != 5*time.Second || h.Window != defaultStatusWindow || h.Points != 180 || len(c.P95) != 180 {
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
	// The traffic decided the status; history says since when.
	if want := eng.Now().Add(-5 * defaultStatusInterval); !card.Since.Equal(want) {
		t.Errorf("card since %v, want the first failing cycle %v", card.Since, want)
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
	m, eng := newEngineMonitor(t, time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC))
	calls := clock.NewFake(time.Now())
	stripe := mustDep(t, m, instrument.KindPayment, "stripe", withClock(calls))
	cycle(t, m) // 06:00:00, the first tile starts
	// 06:00:05 … 06:00:55: 10 calls per cycle, 2 failing, slow ones.
	for range 11 {
		trackCalls(stripe, calls, 10, 2, 800*time.Millisecond)
		eng.Advance(defaultStatusInterval)
		cycle(t, m)
	}
	// 06:01:00 … : fast and clean.
	for range 12 {
		trackCalls(stripe, calls, 10, 0, 20*time.Millisecond)
		eng.Advance(defaultStatusInterval)
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

var t0 = time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)

func sample(id string, st dashboard.Status, rate float64, alerts ...alertSeen) histSample {
	return histSample{id: id, status: st, reason: "reason " + string(st), traffic: rate > 0, rate: rate,
		errRatio: 0.1, p50: 0.01, p95: 0.1, calls: rate * 30, failures: rate * 3, alerts: alerts}
}

// TestHistoryRingsForgetWhatTheyCannotHold: after more than 15 minutes of
// cycles the finest tier holds exactly the last 180 steps, and a step
// without a cycle reads as a gap, not as the value of 15 minutes ago.
func TestHistoryRingsForgetWhatTheyCannotHold(t *testing.T) {
	h := newHistory(defaultStatusWindow)
	for i := range 200 {
		if i == 190 {
			continue // a missed cycle
		}
		h.record(t0.Add(time.Duration(i)*5*time.Second), []histSample{sample("a", dashboard.StatusPass, float64(i))}, 0)
	}
	got, err := h.query(15 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Components[0]
	if got.Points != 180 || !got.Start.Equal(t0.Add(20*5*time.Second)) {
		t.Fatalf("points %d from %v", got.Points, got.Start)
	}
	if c.RequestRate[0] != 20 || c.RequestRate[179] != 199 || !math.IsNaN(c.RequestRate[170]) || c.Status[170] != "" {
		t.Fatalf("rates %v … %v, missed %v %q", c.RequestRate[0], c.RequestRate[179], c.RequestRate[170], c.Status[170])
	}
	// A long silence clears every slot it skips.
	h.record(t0.Add(2*time.Hour), []histSample{sample("a", dashboard.StatusFail, 1)}, 0)
	got, _ = h.query(15 * time.Minute)
	c = got.Components[0]
	for i, v := range c.RequestRate[:179] {
		if !math.IsNaN(v) || c.Status[i] != "" {
			t.Fatalf("slot %d kept %v %q across a 2 h gap", i, v, c.Status[i])
		}
	}
	if c.Status[179] != dashboard.StatusFail {
		t.Fatalf("newest status %q", c.Status[179])
	}
}

// TestHistoryAlertSpans: an alert about a component is a span from when
// it fired to the last cycle it fired in; open while it fires.
func TestHistoryAlertSpans(t *testing.T) {
	h := newHistory(defaultStatusWindow)
	fired := t0.Add(10 * time.Second)
	a := alertSeen{rule: "PaymentProviderErrors", severity: "page", firedAt: fired}
	for i := range 10 {
		now := t0.Add(time.Duration(i) * 5 * time.Second)
		var al []alertSeen
		if i >= 2 && i < 6 {
			al = []alertSeen{a}
		}
		h.record(now, []histSample{sample("stripe", dashboard.StatusFail, 1, al...)}, 0)
		if i == 3 {
			got, _ := h.query(15 * time.Minute)
			if sp := got.Components[0].Alerts; len(sp) != 1 || !sp[0].To.IsZero() || !sp[0].From.Equal(fired) {
				t.Fatalf("while firing: %+v", sp)
			}
		}
	}
	got, _ := h.query(15 * time.Minute)
	sp := got.Components[0].Alerts
	if len(sp) != 1 || sp[0].Name != "PaymentProviderErrors" || sp[0].Severity != "page" ||
		!sp[0].From.Equal(fired) || !sp[0].To.Equal(t0.Add(25*time.Second)) {
		t.Fatalf("after it resolved: %+v", sp)
	}
}

// TestHistoryIsBounded: components beyond the cap are not recorded, and a
// flapping component keeps at most maxEpisodes episodes and
// maxAlertSpans alert spans.
func TestHistoryIsBounded(t *testing.T) {
	h := newHistory(defaultStatusWindow)
	var many []histSample
	for i := range maxHistoryComponents + 10 {
		many = append(many, sample("c"+strconv.Itoa(i), dashboard.StatusPass, 0))
	}
	h.record(t0, many, 0)
	if len(h.comps) != maxHistoryComponents || h.dropped != 10 {
		t.Fatalf("%d components kept, %d dropped", len(h.comps), h.dropped)
	}
	h = newHistory(defaultStatusWindow)
	for i := range 3 * maxEpisodes {
		st := dashboard.StatusPass
		if i%2 == 1 {
			st = dashboard.StatusFail
		}
		al := alertSeen{rule: "Flap", firedAt: t0.Add(time.Duration(i) * time.Second)}
		h.record(t0.Add(time.Duration(i)*time.Second), []histSample{sample("flappy", st, 1, al)}, 0)
	}
	c := h.comps["flappy"]
	if len(c.Episodes) != maxEpisodes || len(c.Alerts) != maxAlertSpans {
		t.Fatalf("%d episodes, %d alert spans", len(c.Episodes), len(c.Alerts))
	}
}

// TestHistoryMemoryPerComponent states what history costs: the rings of a
// component with traffic, and the heap 200 such components take.
func TestHistoryMemoryPerComponent(t *testing.T) {
	if historyBytesPerComponent > 32<<10 {
		t.Fatalf("rings take %d bytes per component, want ≤ 32 KiB", historyBytesPerComponent)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := newHistory(defaultStatusWindow)
	var s []histSample
	for i := range 200 {
		s = append(s, sample("c"+strconv.Itoa(i), dashboard.StatusPass, 1))
	}
	h.record(t0, s, 0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("rings: %d bytes per component; 200 components: %.1f MiB of heap", historyBytesPerComponent,
		float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
	runtime.KeepAlive(h)
}

// TestHistoryRoundTrip: what MarshalBinary writes, UnmarshalBinary reads
// back to the same history, so a data directory can keep it; a damaged
// file is refused.
func TestHistoryRoundTrip(t *testing.T) {
	h := newHistory(defaultStatusWindow)
	a := alertSeen{rule: "PaymentProviderErrors", severity: "page", firedAt: t0}
	for i := range 400 {
		now := t0.Add(time.Duration(i) * 5 * time.Second)
		tile := time.Duration(0)
		if i%6 == 0 && i > 0 {
			tile = 30 * time.Second
		}
		s := sample("stripe", dashboard.StatusFail, 2, a)
		s.hist = &series.Hist{Bounds: []float64{0.1, 1}, Counts: []float64{5, 50, 5}}
		h.record(now, []histSample{s, sample("host", dashboard.StatusPass, 0)}, tile)
	}
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back := newHistory(defaultStatusWindow)
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	for _, span := range []time.Duration{15 * time.Minute, time.Hour, 24 * time.Hour} {
		want, _ := h.query(span)
		got, _ := back.query(span)
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("%v after a round trip:\n%v\nwant\n%v", span, got, want)
		}
	}
	// Recording goes on where it stopped.
	next := t0.Add(400 * 5 * time.Second)
	h.record(next, []histSample{sample("stripe", dashboard.StatusPass, 2)}, 0)
	back.record(next, []histSample{sample("stripe", dashboard.StatusPass, 2)}, 0)
	want, _ := h.query(time.Hour)
	got, _ := back.query(time.Hour)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatal("a restored history records differently")
	}
	for _, bad := range [][]byte{nil, {9}, append([]byte{historyVersion}, b[1:len(b)/2]...)} {
		if err := newHistory(defaultStatusWindow).UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary accepted %d damaged bytes", len(bad))
		}
	}
}

// TestHistoryQuietTileLowersTheRate: a read of the status window in which
// a component had no calls still covers time, so the minute's rate is the
// calls over the whole minute.
func TestHistoryQuietTileLowersTheRate(t *testing.T) {
	h := newHistory(defaultStatusWindow)
	h.record(t0.Add(30*time.Second), []histSample{sample("a", dashboard.StatusPass, 2)}, 30*time.Second)
	h.record(t0.Add(59*time.Second), []histSample{sample("a", dashboard.StatusPass, 0)}, 29*time.Second)
	got, _ := h.query(time.Hour)
	if r := got.Components[0].RequestRate[got.Points-1]; math.Abs(r-60.0/59) > 1e-6 {
		t.Fatalf("rate %v, want 60 calls over 59 s", r)
	}
}

// BenchmarkHistory measures what history adds to a cycle (record, 200
// components with traffic) and what a history.json read costs (query).
func BenchmarkHistory(b *testing.B) {
	h := newHistory(defaultStatusWindow)
	var s []histSample
	for i := range 200 {
		s = append(s, sample("c"+strconv.Itoa(i), dashboard.StatusPass, 1))
	}
	hist := &series.Hist{Bounds: []float64{0.1, 1}, Counts: []float64{5, 50, 5}}
	for i := range s {
		s[i].hist = hist
	}
	now := t0
	b.Run("record", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			now = now.Add(5 * time.Second)
			tile := time.Duration(0)
			if i%6 == 5 {
				tile = 30 * time.Second
			}
			h.record(now, s, tile)
		}
	})
	for _, span := range []time.Duration{15 * time.Minute, 24 * time.Hour} {
		b.Run("query/"+span.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.query(span); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
