package dispatch

import (
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/clock"
)

// changeLog collects what a silence set reports.
type changeLog struct {
	mu  sync.Mutex
	got []silenceChange
}

func (l *changeLog) add(c silenceChange) {
	l.mu.Lock()
	l.got = append(l.got, c)
	l.mu.Unlock()
}

func (l *changeLog) take() []silenceChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

// Go callers reach the listeners (and so the audit trail) as the HTTP API
// does (alerting/httpapi tests that path): once per change, with the
// silence as it is after it; nothing after unsubscribing.
func TestSilenceSubscribeSeesGoCalls(t *testing.T) {
	fc := clock.NewFake(time.Date(2025, 3, 14, 20, 0, 0, 0, time.UTC))
	sil := newSilences(fc)
	var log changeLog
	unsubscribe := sil.subscribe(log.add)
	m, err := alerting.NewMatcher(alerting.MatchEqual, "alertname", "CPU")
	if err != nil {
		t.Fatal(err)
	}
	id, err := sil.Add(Silence{Matchers: alerting.Matchers{m}, EndsAt: fc.Now().Add(time.Hour), CreatedBy: "cron", Comment: "nightly batch"})
	if err != nil {
		t.Fatal(err)
	}
	fc.Advance(10 * time.Minute)
	if err := sil.Expire(id, "bob"); err != nil {
		t.Fatal(err)
	}
	got := log.take()
	if len(got) != 2 || got[0].Kind != silenceCreated || got[0].Kind.String() != "created" || got[0].Silence.CreatedBy != "cron" ||
		got[1].Kind != silenceExpired || got[1].Silence.ID != id || got[1].Silence.ExpiredBy != "bob" || !got[1].Time.Equal(fc.Now()) {
		t.Fatalf("changes from Go calls %+v", got)
	}
	// Expiring it again is a no-op: nothing to report.
	if err := sil.Expire(id, "bob"); err != nil {
		t.Fatal(err)
	}
	unsubscribe()
	if _, err := sil.Add(Silence{Matchers: alerting.Matchers{m}, EndsAt: fc.Now().Add(time.Hour), CreatedBy: "cron", Comment: "again"}); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("changes after a no-op expiry or unsubscribing: %+v", got)
	}
}

// A listener may read the set: it runs after the set's lock is released.
func TestSilenceListenerMayReadTheSet(t *testing.T) {
	fc := clock.NewFake(time.Date(2025, 3, 14, 20, 0, 0, 0, time.UTC))
	sil := newSilences(fc)
	var listed []int
	sil.subscribe(func(silenceChange) { listed = append(listed, len(sil.List())) })
	m, err := alerting.NewMatcher(alerting.MatchEqual, "team", "payments")
	if err != nil {
		t.Fatal(err)
	}
	id, err := sil.Add(Silence{Matchers: alerting.Matchers{m}, EndsAt: fc.Now().Add(time.Hour), CreatedBy: "ana", Comment: "drill"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sil.Expire(id, "ana"); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0] != 1 || listed[1] != 1 {
		t.Fatalf("listener saw %v", listed)
	}
}
