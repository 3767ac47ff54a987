package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
)

func TestHealthCheckFromTraffic(t *testing.T) {
	m, _ := newDepMonitor(t)
	// clk times the calls; eng is the series engine's clock, which moves
	// only between cycles so that the calls' latencies do not move the
	// status window.
	clk := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	eng := clock.NewFake(clk.Now())
	engineOn(m, eng)
	d := mustDep(t, m, instrument.KindPayment, "psp", withClock(clk))
	c, err := d.HealthCheck(instrument.WithMinCalls(20), instrument.WithErrorRateThresholds(0.05, 0.20), instrument.WithLatencyThresholds(500*time.Millisecond, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "psp" || checkstest.SettingsOf(c).ComponentType != "payment-provider" || checkstest.SettingsOf(c).Critical {
		t.Fatalf("check %s %s critical=%v", c.Name(), checkstest.SettingsOf(c).ComponentType, checkstest.SettingsOf(c).Critical)
	}
	ctx := context.Background()
	boom := errors.New("boom")
	calls := func(n int, lat time.Duration, err error) {
		for range n {
			_ = d.Track(ctx, "deposit", func(context.Context) error { clk.Advance(lat); return err })
		}
	}
	// run lets the engine see the calls (one status interval later) and
	// runs the check.
	run := func() checkstest.Outcome {
		eng.Advance(defaultStatusInterval)
		cycle(t, m)
		return checkstest.Run(ctx, c)
	}
	cycle(t, m)

	// One failure at low volume must not page.
	calls(1, time.Millisecond, boom)
	o := run()
	if o.Status != checks.StatusPass || o.Observation == nil || o.Observation.Measurement != "calls" || o.Observation.Value != 1 {
		t.Fatalf("too few calls: %+v obs %+v", o, o.Observation)
	}
	if !strings.Contains(o.Details["reason"], "below the minimum of 20") {
		t.Fatalf("reason %q", o.Details["reason"])
	}

	tests := []struct {
		name       string
		ok, failed int
		lat        time.Duration
		status     checks.Status
		reason     string // instrument's errHighErrorRate or errSlowCalls
	}{
		{"healthy", 99, 0, 10 * time.Millisecond, checks.StatusPass, ""},
		{"error rate warn", 90, 10, 10 * time.Millisecond, checks.StatusWarn, "error rate above threshold"},
		{"error rate fail", 70, 30, 10 * time.Millisecond, checks.StatusFail, "error rate above threshold"},
		{"slow warn", 100, 0, 800 * time.Millisecond, checks.StatusWarn, "p95 latency above threshold"},
		{"slow fail", 100, 0, 3 * time.Second, checks.StatusFail, "p95 latency above threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng.Advance(time.Hour) // empty the window
			cycle(t, m)
			calls(tt.ok, tt.lat, nil)
			calls(tt.failed, 0, boom)
			o := run()
			if o.Status != tt.status {
				t.Fatalf("status %v (%v), want %v; stats %+v", o.Status, o.Err, tt.status, d.Stats())
			}
			if tt.reason != "" && (o.Err == nil || !strings.Contains(o.Err.Error(), tt.reason)) {
				t.Fatalf("error %v does not say %q", o.Err, tt.reason)
			}
			if o.Observation == nil || o.Observation.Measurement != "errorRate" || o.Observation.Unit != "%" {
				t.Fatalf("observation %+v", o.Observation)
			}
			if o.Details["p95"] == "" || o.Details["calls"] == "" {
				t.Fatalf("details %v", o.Details)
			}
		})
	}

	// Failures age out of the window and the check recovers.
	eng.Advance(time.Hour)
	cycle(t, m)
	calls(50, time.Millisecond, boom)
	if o := run(); o.Status != checks.StatusFail {
		t.Fatalf("all failing: %v", o.Status)
	}
	eng.Advance(defaultStatusWindow)
	calls(50, time.Millisecond, nil)
	if o := run(); o.Status != checks.StatusPass {
		t.Fatalf("after the failures left the window: %v %v", o.Status, o.Err)
	}
}
