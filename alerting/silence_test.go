package alerting

import (
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

func TestSilenceRegexAndNegativeMatchers(t *testing.T) {
	ss := newSilences(clock.NewFake(t0))
	ms, err := ParseMatchers(`alertname=~"PSP.*", team!="games"`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Add(Silence{Matchers: ms, EndsAt: t0.Add(time.Hour), CreatedBy: "ana", Comment: "PSP cutover"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		labels Labels
		muted  bool
	}{
		{Labels{"alertname": "PSPDown", "team": "payments"}, true},
		{Labels{"alertname": "PSPLatency"}, true}, // missing team is "" which is != games
		{Labels{"alertname": "PSPDown", "team": "games"}, false},
		{Labels{"alertname": "XPSPDown", "team": "payments"}, false}, // anchored: PSP.* must match all
		{Labels{"alertname": "psp", "team": "payments"}, false},
	}
	for _, tt := range tests {
		if _, got := ss.mutedBy(tt.labels, t0.Add(time.Minute)); got != tt.muted {
			t.Errorf("Mutes(%v) = %v, want %v", tt.labels, got, tt.muted)
		}
	}
	if _, got := ss.mutedBy(Labels{"alertname": "PSPDown"}, t0.Add(time.Hour)); got {
		t.Error("silence mutes at its end time")
	}
}
