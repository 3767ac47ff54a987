package passive

import (
	"testing"
	"time"
)

// TestJudgeAppliesTheTrafficRule: no calls is no opinion; below the
// minimum only failures warn; above it the error rate warns at 5 % and
// fails at 25 %, and the reason states the figures.
func TestJudgeAppliesTheTrafficRule(t *testing.T) {
	for _, tc := range []struct {
		name            string
		calls, failures float64
		window          time.Duration
		level           Level
		reason          string
		ok              bool
	}{
		{"no calls", 0, 0, 30 * time.Second, Pass, "", false},
		{"few clean", 5, 0, 30 * time.Second, Pass, "0 % of 5 calls failed over 30 s", true},
		{"few failing", 5, 1, 30 * time.Second, Warn, "20 % of 5 calls failed over 30 s (too few calls to judge)", true},
		{"clean", 100, 4, 30 * time.Second, Pass, "4.0 % of 100 calls failed over 30 s", true},
		{"warn at 5 %", 100, 5, 5 * time.Minute, Warn, "5.0 % of 100 calls failed over 5 min", true},
		{"fail at 25 %", 100, 25, time.Hour, Fail, "25 % of 100 calls failed over 1 h", true},
		{"outage", 57, 57, 30 * time.Second, Fail, "100 % of 57 calls failed over 30 s", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			level, reason, ok := Judge(tc.calls, tc.failures, tc.window)
			if level != tc.level || reason != tc.reason || ok != tc.ok {
				t.Fatalf("Judge = %v %q %v, want %v %q %v", level, reason, ok, tc.level, tc.reason, tc.ok)
			}
		})
	}
}

func TestFormatPercentAndDuration(t *testing.T) {
	for in, want := range map[float64]string{0: "0 %", 0.004: "0.40 %", 0.05: "5.0 %", 0.58: "58 %", 1: "100 %"} {
		if got := FormatPercent(in); got != want {
			t.Errorf("FormatPercent(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{30 * time.Second: "30 s", 5 * time.Minute: "5 min", 2 * time.Hour: "2 h", 1500 * time.Millisecond: "1.5s"} {
		if got := FormatDuration(in); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", in, got, want)
		}
	}
}
