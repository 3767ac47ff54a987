package monitor

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

func TestEventLogRingAndQuery(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	l, err := newEventLog(3, slog.New(slog.DiscardHandler), fc)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []string{"postgres", "stripe", "postgres", "stripe", "kyc"} {
		fc.Advance(time.Second)
		l.Record(timelineEvent{Component: c, Kind: eventCheck, Message: "m" + string(rune('0'+i))})
	}
	all := l.Query(eventQuery{})
	if len(all) != 3 || all[0].Message != "m2" || all[2].Message != "m4" || l.recorded() != 5 {
		t.Fatalf("ring: %+v total %d", all, l.recorded())
	}
	if got := l.Query(eventQuery{Component: "stripe"}); len(got) != 1 || got[0].Message != "m3" {
		t.Fatalf("by component: %+v", got)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 4, 0, time.UTC)
	if got := l.Query(eventQuery{Since: t0}); len(got) != 2 || got[0].Message != "m3" {
		t.Fatalf("since: %+v", got)
	}
	if got := l.Query(eventQuery{Until: t0}); len(got) != 1 || got[0].Message != "m2" {
		t.Fatalf("until: %+v", got)
	}
	if got := l.Query(eventQuery{Limit: 1}); len(got) != 1 || got[0].Message != "m4" {
		t.Fatalf("limit keeps newest: %+v", got)
	}
	if _, err := newEventLog(0, nil, nil); err == nil || !strings.Contains(err.Error(), "capacity") {
		t.Fatalf("capacity 0: %v", err)
	}
}

func TestEventLogRedacts(t *testing.T) {
	l, _ := newEventLog(10, slog.New(slog.DiscardHandler), nil)
	l.Record(timelineEvent{Component: "db", Message: "dial postgres://u:pw1@h/db", Attrs: map[string]string{"error": "password=pw2"}})
	e := l.Query(eventQuery{})[0]
	if strings.Contains(e.Message, "pw1") || strings.Contains(e.Attrs["error"], "pw2") || e.Severity != severityInfo || e.Time.IsZero() {
		t.Fatalf("event %+v", e)
	}
}

func TestEventLogHandler(t *testing.T) {
	l, _ := newEventLog(10, slog.New(slog.DiscardHandler), nil)
	l.Record(timelineEvent{Component: "stripe", Kind: eventAlert, Severity: severityCritical, Message: "PaymentErrorRate firing"})
	l.Record(timelineEvent{Component: "kyc", Kind: eventCheck, Message: "kyc pass>warn"})
	h := l.handler(false)
	tests := []struct {
		target string
		code   int
		n      int
	}{
		{"/events", 200, 2},
		{"/events?component=stripe", 200, 1},
		{"/events?kind=check", 200, 1},
		{"/events?since=2000-01-01T00:00:00Z&limit=1", 200, 1},
		{"/events?since=yesterday", 400, 0},
		{"/events?limit=-1", 400, 0},
		{"/events?limit=99999999", 400, 0},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.target, nil))
		if rec.Code != tt.code {
			t.Fatalf("%s: %d %s", tt.target, rec.Code, rec.Body)
		}
		if tt.code != 200 {
			continue
		}
		var body struct{ Events []timelineEvent }
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Events) != tt.n {
			t.Fatalf("%s: %v %d events", tt.target, err, len(body.Events))
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events", nil))
	if rec.Code != 405 {
		t.Fatalf("POST: %d", rec.Code)
	}
}

func FuzzParseEventQuery(f *testing.F) {
	f.Add("stripe", "alert", "2026-01-01T00:00:00Z", "", "10")
	f.Add("", "", "x", "2026-13-01", "-5")
	f.Fuzz(func(t *testing.T, component, kind, since, until, limit string) {
		vals := map[string]string{"component": component, "kind": kind, "since": since, "until": until, "limit": limit}
		q, err := parseEventQuery(func(k string) string { return vals[k] })
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error echoes too much input: %d bytes", len(err.Error()))
			}
			return
		}
		if q.Limit < 0 || q.Limit > maxEventQueryLimit {
			t.Fatalf("limit %d accepted", q.Limit)
		}
	})
}

// eventsBody fetches target from m.EventsHandler(), as an admitted caller
// (with header name: value) when admitted is set.
func eventsBody(m *Monitor, target string, admitted bool, name, value string) string {
	req := httptest.NewRequest("GET", target, nil)
	if admitted {
		req.Header.Set(name, value)
	}
	rec := httptest.NewRecorder()
	m.EventsHandler().ServeHTTP(rec, req)
	return rec.Body.String()
}

func TestEventsHandlerWithholdsDetails(t *testing.T) {
	m, err := New(quiet, WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("X-Ops") == "1" }))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	m.events.Record(timelineEvent{Component: "db", Kind: eventCheck, Message: "db pass → fail", Attrs: map[string]string{"error": "connection refused", "to": "fail"}})
	get := func(admin bool) string { return eventsBody(m, "/events", admin, "X-Ops", "1") }
	if body := get(false); strings.Contains(body, "connection refused") || !strings.Contains(body, `"to":"fail"`) {
		t.Fatalf("public event log: %s", body)
	}
	if body := get(true); !strings.Contains(body, "connection refused") {
		t.Fatalf("authorized event log lacks the error: %s", body)
	}
}

// Every event severity has a colour on the dashboard's timeline: the page
// and the event log share one vocabulary (a warning once went uncoloured
// because the page expected "warn").
func TestEveryEventSeverityIsStyledOnTheTimeline(t *testing.T) {
	css, err := os.ReadFile("internal/dashboard/assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, sev := range []string{severityWarning, severityCritical} {
		if !strings.Contains(string(css), ".event.sev-"+sev+" ") {
			t.Errorf("style.css has no rule for events of severity %q", sev)
		}
	}
}

// recorded returns how many events were ever recorded, including those the
// ring has dropped.
func (l *eventRing) recorded() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.total
}
