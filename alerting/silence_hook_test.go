package alerting

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

// Every change reaches the listeners, whether it came over HTTP or from Go
// code, so that an audit trail fed by Subscribe has no blind path.
func TestSilenceSubscribeSeesEveryPath(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 20, 0, 0, 0, time.UTC)
	fc := clock.NewFake(t0)
	sil := newSilences(fc)
	var log changeLog
	unsubscribe := sil.subscribe(log.add)
	auth := func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer ops" {
			return errors.New("no")
		}
		return nil
	}
	srv := httptest.NewServer(http.StripPrefix("/alerting", NewHandler(nil, sil, WithAuthorizer(auth))))
	defer srv.Close()
	do := func(method, path, body, token string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json") // writes need it; reads ignore it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	body := `{"matchers":["team=\"payments\""],"duration":"2h","createdBy":"ana","comment":"PSP migration"}`
	// Refused and invalid requests change nothing and report nothing.
	if code := do("POST", "/alerting/silences", body, ""); code != http.StatusForbidden {
		t.Fatalf("unauthorized POST: %d", code)
	}
	if code := do("POST", "/alerting/silences", `{"matchers":["team=\"payments\""],"duration":"2h","createdBy":"ana"}`, "ops"); code != http.StatusBadRequest {
		t.Fatalf("POST without comment: %d", code)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("changes reported for refused requests: %+v", got)
	}

	if code := do("POST", "/alerting/silences", body, "ops"); code != http.StatusCreated {
		t.Fatalf("POST: %d", code)
	}
	got := log.take()
	if len(got) != 1 {
		t.Fatalf("changes after POST: %+v", got)
	}
	c := got[0]
	if c.Kind != silenceCreated || c.Kind.String() != "created" || c.Silence.ID == "" || c.Silence.CreatedBy != "ana" ||
		c.Silence.Comment != "PSP migration" || !c.Time.Equal(t0) || !c.Silence.EndsAt.Equal(t0.Add(2*time.Hour)) ||
		len(c.Silence.Matchers) != 1 || c.Silence.Matchers[0].String() != `team="payments"` {
		t.Fatalf("created change %+v", c)
	}
	id := c.Silence.ID

	fc.Advance(10 * time.Minute)
	if code := do("DELETE", "/alerting/silences/"+id+"?by=bob", "", "ops"); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	got = log.take()
	if len(got) != 1 || got[0].Kind != silenceExpired || got[0].Silence.ID != id || got[0].Silence.ExpiredBy != "bob" ||
		got[0].Silence.CreatedBy != "ana" || !got[0].Time.Equal(t0.Add(10*time.Minute)) || !got[0].Silence.EndsAt.Equal(got[0].Time) {
		t.Fatalf("expired change %+v", got)
	}
	// Expiring it again is a no-op: nothing to report.
	if code := do("DELETE", "/alerting/silences/"+id+"?by=bob", "", "ops"); code != http.StatusNoContent {
		t.Fatalf("second DELETE: %d", code)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("second expiry reported: %+v", got)
	}

	// Go callers go through the same hook.
	m, err := NewMatcher(MatchEqual, "alertname", "CPU")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := sil.Add(Silence{Matchers: Matchers{m}, EndsAt: fc.Now().Add(time.Hour), CreatedBy: "cron", Comment: "nightly batch"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sil.Expire(id2, "cron"); err != nil {
		t.Fatal(err)
	}
	got = log.take()
	if len(got) != 2 || got[0].Kind != silenceCreated || got[1].Kind != silenceExpired || got[1].Silence.ID != id2 {
		t.Fatalf("changes from Go calls %+v", got)
	}

	// After unsubscribing, nothing more arrives.
	unsubscribe()
	if code := do("POST", "/alerting/silences", body, "ops"); code != http.StatusCreated {
		t.Fatalf("POST: %d", code)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("change after unsubscribe: %+v", got)
	}
}

// A listener may read the set: it runs after the set's lock is released.
func TestSilenceListenerMayReadTheSet(t *testing.T) {
	fc := clock.NewFake(time.Date(2025, 3, 14, 20, 0, 0, 0, time.UTC))
	sil := newSilences(fc)
	var listed []int
	sil.subscribe(func(silenceChange) { listed = append(listed, len(sil.List())) })
	m, err := NewMatcher(MatchEqual, "team", "payments")
	if err != nil {
		t.Fatal(err)
	}
	id, err := sil.Add(Silence{Matchers: Matchers{m}, EndsAt: fc.Now().Add(time.Hour), CreatedBy: "ana", Comment: "drill"})
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
