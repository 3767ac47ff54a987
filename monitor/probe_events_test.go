package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackcode/igmon/probes"
)

// TestProbeEventsStartStreakRecovery: a synthetic probe's first result is
// recorded as such (not as a recovery from the state checks start in),
// then a failure streak and its recovery.
func TestProbeEventsStartStreakRecovery(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	m, _ := newDepMonitor(t)
	p, err := probes.HTTP(m.MeterProvider(), "psp-health", srv.URL, probes.WithInterval(200*time.Millisecond), probes.WithTimeout(200*time.Millisecond)) // a timeout a loaded machine meets: the first result must be a pass
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddProbe(p); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor := func(substr string) timelineEvent {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			for _, e := range m.events.Query(eventQuery{Component: "psp-health", Kind: eventProbe}) {
				if strings.Contains(e.Message, substr) {
					return e
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no probe event %q in %v", substr, m.events.Query(eventQuery{Component: "psp-health"}))
		return timelineEvent{}
	}
	first := waitFor("first result pass")
	if first.Message != "probe psp-health: first result pass" || first.Attrs["previous_for"] != "" {
		t.Errorf("first event %+v, want no recovery wording and no outage length", first)
	}
	down.Store(true)
	waitFor("failure streak: 3 consecutive failures")
	down.Store(false)
	rec := waitFor("recovered after")
	if rec.Attrs["previous_for"] == "" {
		t.Errorf("recovery event %+v has no previous_for", rec)
	}
	for _, e := range m.events.Query(eventQuery{Component: "psp-health"}) {
		if e.Time.Before(rec.Time) && strings.Contains(e.Message, "recovered") && e.Message != rec.Message {
			t.Errorf("a recovery before the outage: %+v", e)
		}
	}
}
