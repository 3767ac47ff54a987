package dispatch

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/statefile"
)

func TestSilencesSurviveMarshalRoundTrip(t *testing.T) {
	p := newPipe(t)
	ss := p.d.Silences()
	re, _ := alerting.NewMatcher(alerting.MatchRegexp, "igmon.dependency.name", "stripe|adyen")
	id, err := ss.Add(Silence{Matchers: alerting.Matchers{re}, EndsAt: t0.Add(2 * time.Hour), CreatedBy: "ops", Comment: "PSP maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ss.marshalState()
	if err != nil {
		t.Fatal(err)
	}
	after := newSilences(p.clk)
	created := 0
	after.subscribe(func(silenceChange) { created++ })
	if err := after.unmarshalState(b); err != nil {
		t.Fatal(err)
	}
	got := after.List()
	if len(got) != 1 || got[0].ID != id || !got[0].EndsAt.Equal(t0.Add(2*time.Hour)) || got[0].CreatedBy != "ops" {
		t.Fatalf("restored %+v", got)
	}
	if sid, ok := after.mutedBy(alerting.Labels{"igmon.dependency.name": "adyen"}, t0.Add(time.Hour)); !ok || sid != id {
		t.Fatal("restored silence does not mute")
	}
	if _, ok := after.mutedBy(alerting.Labels{"igmon.dependency.name": "adyen"}, t0.Add(3*time.Hour)); ok {
		t.Fatal("restored silence mutes past its end")
	}
	if created != 0 {
		t.Fatalf("restore told listeners of %d creations", created)
	}
	for _, bad := range []string{`{"v":2,"silences":[]}`, `{"v":1,"silences":[{"id":"x","comment":"a\u0007b"}]}`, `not json`} {
		if err := after.unmarshalState([]byte(bad)); !errors.Is(err, statefile.ErrState) {
			t.Errorf("unmarshalState(%s): %v", bad, err)
		}
	}
}

// TestNotificationLogSurvivesRestart: a restored dispatcher does not
// re-send an unchanged firing group before its repeat interval, and sends
// the resolve of an alert it had notified exactly once.
func TestNotificationLogSurvivesRestart(t *testing.T) {
	route := WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"alertname"},
		GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour})
	p := newPipe(t, route)
	a := firing("DepositErrors", map[string]string{"instance": "a"})
	a.Value = math.NaN()
	p.d.Receive([]alerting.Alert{a})
	if got := p.at(30 * time.Second); len(got) != 1 || got[0].Reason != "new" {
		t.Fatalf("first: %+v", got)
	}
	b, err := p.d.marshalState()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"NaN"`) {
		t.Fatalf("NaN value not kept: %s", b)
	}
	_ = p.d.Close()

	q := newPipe(t, route)
	if err := q.d.unmarshalState(b); err != nil {
		t.Fatal(err)
	}
	q.d.Receive([]alerting.Alert{a})
	for _, at := range []time.Duration{6 * time.Minute, 40 * time.Minute} {
		if got := q.at(at); len(got) != 0 {
			t.Fatalf("unchanged group re-sent after restart at %v: %+v", at, got)
		}
	}
	q.d.Receive([]alerting.Alert{resolved(a)})
	got := q.at(46 * time.Minute)
	if len(got) != 1 || got[0].Status != "resolved" || len(got[0].Alerts) != 1 {
		t.Fatalf("resolve after restart: %+v", got)
	}
	q.d.Receive([]alerting.Alert{resolved(a)})
	if got := q.at(52 * time.Minute); len(got) != 0 {
		t.Fatalf("resolve sent twice: %+v", got)
	}
	if err := q.d.unmarshalState([]byte(`{"v":7}`)); !errors.Is(err, statefile.ErrState) || !strings.Contains(err.Error(), "version 7") {
		t.Fatalf("other version: %v", err)
	}
}

// TestRestoredAlertNobodyReportsResolves: a firing alert restored into the
// notification log that the first evaluation after the restart does not
// mention (its rule was removed, or the alert states were lost) is
// resolved to the receivers that were told it fired, once.
func TestRestoredAlertNobodyReportsResolves(t *testing.T) {
	route := WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"alertname"},
		GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour})
	p := newPipe(t, route)
	a := firing("DepositErrors", map[string]string{"instance": "a"})
	b := firing("DepositErrors", map[string]string{"instance": "b"})
	p.d.Receive([]alerting.Alert{a, b})
	if got := p.at(30 * time.Second); len(got) != 1 || len(got[0].Alerts) != 2 {
		t.Fatalf("first: %+v", got)
	}
	state, err := p.d.marshalState()
	if err != nil {
		t.Fatal(err)
	}
	q := newPipe(t, route)
	if err := q.d.unmarshalState(state); err != nil {
		t.Fatal(err)
	}
	q.d.Receive([]alerting.Alert{a}) // b is gone
	got := q.at(6 * time.Minute)
	if len(got) != 1 || got[0].Status != "firing" || fps(got[0])["b"] != alerting.StateResolved || fps(got[0])["a"] != alerting.StateFiring {
		t.Fatalf("after the restart: %+v", got)
	}
	q.d.Receive([]alerting.Alert{a})
	if got := q.at(12 * time.Minute); len(got) != 0 {
		t.Fatalf("resolve of b sent again: %+v", got)
	}
}

// FuzzUnmarshalState: saved state that passed the file checksum but is
// not what this build wrote (another version, a bug) is refused with an
// error, never a panic.
func FuzzUnmarshalState(f *testing.F) {
	f.Add([]byte(`{"v":1,"silences":[{"id":"a","matchers":[{"name":"x","type":2,"value":"(["}],"comment":"c"}]}`))
	f.Add([]byte(`{"v":1,"groups":[{"route":0,"key":"{}:{alertname=\"A\"}","alerts":[{"fingerprint":"f","labels":{"alertname":"A"},"state":"firing","value":"NaN"}]}]}`))
	f.Add([]byte(`{"v":1,"groups":[{"route":-1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := newPipe(t, WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"alertname"}}))
		_ = p.d.Silences().unmarshalState(b)
		_ = p.d.unmarshalState(b)
		p.d.Receive(nil)
		p.d.tick()
	})
}
