package dispatch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/clock"
)

func TestGroupByAll(t *testing.T) {
	p := newPipe(t, WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{groupByAll}, GroupWait: time.Second}))
	p.d.Receive([]alerting.Alert{
		firing("A", map[string]string{"instance": "a"}),
		firing("A", map[string]string{"instance": "b"}),
	})
	got := p.at(time.Second)
	if len(got) != 2 {
		t.Fatalf("%d notifications, want one per alert", len(got))
	}
	for _, n := range got {
		if len(n.Alerts) != 1 || n.GroupLabels["instance"] == "" || n.GroupLabels[alerting.LabelAlertName] != "A" {
			t.Errorf("group %v with %d alerts", n.GroupLabels, len(n.Alerts))
		}
	}
	if _, err := New(WithReceiver(Receiver{Name: "x", Notifier: &recorder{}}),
		WithRoute(Route{Receivers: []string{"x"}, GroupBy: []string{groupByAll, "team"}})); !errors.Is(err, alerting.ErrInvalidOption) {
		t.Errorf("groupByAll with other labels: %v", err)
	}
}

type resender struct {
	recorder
	every time.Duration
}

func (r *resender) ResendInterval() time.Duration { return r.every }

func TestResenderNeedsShortRepeat(t *testing.T) {
	am := &resender{every: time.Minute}
	_, err := New(WithReceiver(Receiver{Name: "am", Notifier: am}),
		WithRoute(Route{Receivers: []string{"am"}})) // defaults: 5m group interval, 4h repeat
	if !errors.Is(err, alerting.ErrInvalidOption) || !strings.Contains(err.Error(), `"am"`) || !strings.Contains(err.Error(), "RepeatInterval") {
		t.Fatalf("route re-sending every 4h to a 1m resender: %v", err)
	}
	// Repeats are only checked at group flushes: 1m repeat with a 90s
	// group interval re-sends every 90s.
	_, err = New(WithReceiver(Receiver{Name: "am", Notifier: am}),
		WithRoute(Route{Receivers: []string{"am"}, GroupInterval: 90 * time.Second, RepeatInterval: time.Minute}))
	if !errors.Is(err, alerting.ErrInvalidOption) {
		t.Fatalf("90s group interval accepted: %v", err)
	}
	// Without routes the default route adapts, and the alert is re-sent
	// every minute while it fires.
	p := &pipe{t: t, clk: clock.NewFake(t0), rec: &am.recorder}
	d, err := New(withClock(p.clk), WithReceiver(Receiver{Name: "am", Notifier: am}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	p.d = d
	a := firing("X", nil)
	d.Receive([]alerting.Alert{a})
	if got := p.at(30 * time.Second); len(got) != 1 {
		t.Fatalf("first notification: %d", len(got))
	}
	for i := 1; i <= 3; i++ {
		d.Receive([]alerting.Alert{a})
		got := p.at(30*time.Second + time.Duration(i)*time.Minute)
		if len(got) != 1 || got[0].Reason != "repeat" {
			t.Fatalf("minute %d: %+v, want a repeat", i, got)
		}
	}
}
