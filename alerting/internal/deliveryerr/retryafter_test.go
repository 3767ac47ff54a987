package deliveryerr

import (
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"1.5", 0},
		{"soon", 0},
		{"Wed, 21 Oct 2026 07:30:00 GMT", 2 * time.Minute},      // IMF-fixdate
		{"Wednesday, 21-Oct-26 07:29:30 GMT", 90 * time.Second}, // RFC 850
		{"Wed Oct 21 07:28:45 2026", 45 * time.Second},          // asctime
		{"Wed, 21 Oct 2026 07:00:00 GMT", 0},                    // in the past
		{"99999999999999999", 24 * time.Hour},                   // would overflow
		{"Fri, 21 Oct 2033 07:28:00 GMT", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	for _, s := range []string{"120", "Wed, 21 Oct 2026 07:30:00 GMT", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := ParseRetryAfter(s, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("ParseRetryAfter(%q) = %v, want within [0, 24h]", s, d)
		}
	})
}
