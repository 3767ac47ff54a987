package checks

import (
	"sync"
	"testing"
)

// TestGoroutinesThresholds: the count fails above max, warns above warn
// (never at either limit) and is observed; warn 0 never warns. The count
// is the test's, so the limits are exact.
func TestGoroutinesThresholds(t *testing.T) {
	tests := []struct {
		name       string
		warn, max  int
		count      int
		status     Status
		thresholds bool // the outcome wraps ErrThresholdExceeded
	}{
		{"below warn", 100, 200, 99, StatusPass, false},
		{"at warn", 100, 200, 100, StatusPass, false},
		{"above warn", 100, 200, 101, StatusWarn, true},
		{"at max", 100, 200, 200, StatusWarn, true},
		{"above max", 100, 200, 201, StatusFail, true},
		{"no warning level", 0, 200, 200, StatusPass, false},
		{"no warning level above max", 0, 200, 201, StatusFail, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := goroutines(func() int { return tt.count }, tt.warn, tt.max)
			o := runOnce(t, built(t, c, err))
			var want error
			if tt.thresholds {
				want = ErrThresholdExceeded
			}
			wantOutcome(t, o, tt.status, want)
			if o.Observation == nil || o.Observation.Value != float64(tt.count) || o.Observation.Unit != "{goroutine}" {
				t.Errorf("observation = %+v, want %d {goroutine}", o.Observation, tt.count)
			}
		})
	}
}

// TestGoroutinesCountsTheProcess: Goroutines counts the process's
// goroutines: at least the ones this test parks, plus itself.
func TestGoroutinesCountsTheProcess(t *testing.T) {
	const parked = 20
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range parked {
		wg.Go(func() { <-release })
	}
	defer func() { close(release); wg.Wait() }()

	c, err := Goroutines(0, 1_000_000)
	o := runOnce(t, built(t, c, err))
	wantOutcome(t, o, StatusPass, nil)
	if o.Observation == nil || o.Observation.Value < parked+1 {
		t.Errorf("observation = %+v, want at least %d (the parked goroutines and the test's)", o.Observation, parked+1)
	}
}
