package checks

import (
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/shirou/gopsutil/v4/disk"
)

func TestDiskFree(t *testing.T) {
	dir := t.TempDir()
	u, err := disk.Usage(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   []Option
		status Status
	}{
		{"above both levels", []Option{WithFreeBytes(1, 0)}, StatusPass},
		{"below warn", []Option{WithFreeBytes(u.Total*2, 0)}, StatusWarn},
		{"below fail", []Option{WithFreeBytes(u.Total*2, u.Total*2)}, StatusFail},
		{"percent below warn", []Option{WithFreePercent(100, 0)}, StatusWarn},
		{"percent below fail", []Option{WithFreePercent(100, 100)}, StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DiskFree(dir, tt.opts...)
			o := runOnce(t, built(t, c, err))
			if tt.status == StatusPass {
				wantOutcome(t, o, StatusPass, nil)
			} else {
				wantOutcome(t, o, tt.status, ErrThresholdExceeded)
			}
			if o.Observation == nil || o.Observation.Measurement != "freeBytes" || o.Observation.Unit != "By" || o.Observation.Value <= 0 {
				t.Errorf("observation = %+v, want freeBytes > 0", o.Observation)
			}
			if o.Details["totalBytes"] != strconv.FormatUint(u.Total, 10) {
				t.Errorf("totalBytes = %q, want %d", o.Details["totalBytes"], u.Total)
			}
		})
	}
}

func TestMemory(t *testing.T) {
	const huge = 1 << 50
	tests := []struct {
		name   string
		opts   []Option
		status Status
		meas   string
	}{
		{"rss under limits", []Option{WithRSSLimit(huge, huge)}, StatusPass, "rssBytes"},
		{"rss above warn", []Option{WithRSSLimit(1, huge)}, StatusWarn, "rssBytes"},
		{"rss above fail", []Option{WithRSSLimit(0, 1)}, StatusFail, "rssBytes"},
		{"heap under", []Option{WithHeapLimit(huge, 0)}, StatusPass, "heapBytes"},
		{"heap above fail", []Option{WithHeapLimit(0, 1)}, StatusFail, "heapBytes"},
		{"fail beats warn", []Option{WithHeapLimit(1, huge), WithRSSLimit(0, 1)}, StatusFail, "rssBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Memory(tt.opts...)
			o := runOnce(t, built(t, c, err))
			if tt.status == StatusPass {
				wantOutcome(t, o, StatusPass, nil)
			} else {
				wantOutcome(t, o, tt.status, ErrThresholdExceeded)
			}
			if o.Observation == nil || o.Observation.Measurement != tt.meas || o.Observation.Value <= 0 {
				t.Errorf("observation = %+v, want %s > 0", o.Observation, tt.meas)
			}
		})
	}
}

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

	c, err := Goroutines(n+10, WithGoroutinesWarn(n+5))
	o := runOnce(t, built(t, c, err))
	wantOutcome(t, o, StatusFail, ErrThresholdExceeded)
	if o.Observation == nil || o.Observation.Value < float64(n+20) {
		t.Errorf("observation = %+v, want at least %d", o.Observation, n+20)
	}
	c, err = Goroutines(n+1000, WithGoroutinesWarn(n+5))
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusWarn, ErrThresholdExceeded)
	c, err = Goroutines(n + 1000)
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusPass, nil)
}
