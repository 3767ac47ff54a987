package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/probes"
)

// TestProbeEventsStartStreakRecovery: a synthetic probe's first result is
// recorded as such (not as a recovery from the state checks start in),
// then a failure streak (after the third consecutive failure, not
// before) and its recovery.
//
// The Monitor runs in a synctest bubble; the probe's target listens on
// loopback outside it. A request is real I/O: the bubble's clock stands
// still while one is in flight, so the probe's timeout cannot expire on a
// loaded machine, and synctest.Wait returns once the run's result is
// recorded. Runs come every interval of the bubble's clock.
func TestProbeEventsStartStreakRecovery(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Second
		m, _ := newDepMonitor(t)
		p, err := probes.HTTP(m.MeterProvider(), "psp-health", srv.URL, probes.WithInterval(interval), probes.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		// No jitter: run n comes exactly n intervals after Start.
		if err := m.AddProbe(p, checks.WithJitter(0), checks.WithInitialDelay(interval)); err != nil {
			t.Fatal(err)
		}
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		probeEvents := func() []timelineEvent {
			return m.events.Query(eventQuery{Component: "psp-health", Kind: eventProbe})
		}
		find := func(substr string) (timelineEvent, bool) {
			for _, e := range probeEvents() {
				if strings.Contains(e.Message, substr) {
					return e, true
				}
			}
			return timelineEvent{}, false
		}
		// run advances the bubble's clock to the next run and waits for
		// its result.
		run := func() {
			time.Sleep(interval)
			synctest.Wait()
		}

		run()
		run() // the probe's success threshold is two: its first decided result
		first, ok := find("first result pass")
		if !ok {
			t.Fatalf("after two passes: probe events %+v, want a first result pass", probeEvents())
		}
		if first.Message != "probe psp-health: first result pass" || first.Attrs["previous_for"] != "" {
			t.Errorf("first event %+v, want no recovery wording and no outage length", first)
		}

		down.Store(true)
		run()
		run()
		if _, ok := find("failure streak"); ok {
			t.Fatalf("a failure streak after two failures: %+v", probeEvents())
		}
		run()
		if _, ok := find("failure streak: 3 consecutive failures"); !ok {
			t.Fatalf("after three failures: probe events %+v, want a failure streak of 3", probeEvents())
		}

		down.Store(false)
		run()
		run() // the probe's success threshold is two
		rec, ok := find("recovered after")
		if !ok {
			t.Fatalf("after two passes: probe events %+v, want a recovery", probeEvents())
		}
		if rec.Attrs["previous_for"] == "" {
			t.Errorf("recovery event %+v has no previous_for", rec)
		}
		for _, e := range m.events.Query(eventQuery{Component: "psp-health"}) {
			if e.Time.Before(rec.Time) && strings.Contains(e.Message, "recovered") && e.Message != rec.Message {
				t.Errorf("a recovery before the outage: %+v", e)
			}
		}
	})
}
