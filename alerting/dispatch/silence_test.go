package dispatch

import (
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/clock"
)

func TestSilenceRegexAndNegativeMatchers(t *testing.T) {
	ss := newSilences(clock.NewFake(t0))
	ms, err := alerting.ParseMatchers(`alertname=~"PSP.*", team!="games"`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Add(Silence{Matchers: ms, EndsAt: t0.Add(time.Hour), CreatedBy: "ana", Comment: "PSP cutover"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		labels alerting.Labels
		muted  bool
	}{
		{alerting.Labels{"alertname": "PSPDown", "team": "payments"}, true},
		{alerting.Labels{"alertname": "PSPLatency"}, true}, // missing team is "" which is != games
		{alerting.Labels{"alertname": "PSPDown", "team": "games"}, false},
		{alerting.Labels{"alertname": "XPSPDown", "team": "payments"}, false}, // anchored: PSP.* must match all
		{alerting.Labels{"alertname": "psp", "team": "payments"}, false},
	}
	for _, tt := range tests {
		if _, got := ss.mutedBy(tt.labels, t0.Add(time.Minute)); got != tt.muted {
			t.Errorf("Mutes(%v) = %v, want %v", tt.labels, got, tt.muted)
		}
	}
	if _, got := ss.mutedBy(alerting.Labels{"alertname": "PSPDown"}, t0.Add(time.Hour)); got {
		t.Error("silence mutes at its end time")
	}
}
