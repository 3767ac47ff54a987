package checks

import (
	"runtime"
	"sync"
	"testing"
)

func TestGoroutines(t *testing.T) {
	n := runtime.NumGoroutine()
	// Park a known number of extra goroutines so the count is above n.
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); <-release }()
	}
	defer func() { close(release); wg.Wait() }()

	c, err := Goroutines(n+5, n+10)
	o := runOnce(t, built(t, c, err))
	wantOutcome(t, o, StatusFail, ErrThresholdExceeded)
	if o.Observation == nil || o.Observation.Value < float64(n+20) {
		t.Errorf("observation = %+v, want at least %d", o.Observation, n+20)
	}
	c, err = Goroutines(n+5, n+1000)
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusWarn, ErrThresholdExceeded)
	c, err = Goroutines(0, n+1000)
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusPass, nil)
}
