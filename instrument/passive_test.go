package instrument

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

// figuresDep returns a dependency whose Stats read *f, as a Monitor's
// engine would publish them.
func figuresDep(t *testing.T, kind, name string, f *instrumenthook.Figures) *Dependency {
	t.Helper()
	own := instrumenthook.WithMonitor(noop.NewMeterProvider(), func(string, string) instrumenthook.Figures { return *f }).(Option)
	d, err := NewDependency(kind, name, own)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestHealthCheckJudgesTheWindowsFigures: the check warns and fails on the
// error rate and the p95 of the figures it is given, only above the
// minimum number of calls, and leaves declines and rejections out.
func TestHealthCheckJudgesTheWindowsFigures(t *testing.T) {
	f := &instrumenthook.Figures{Window: 30 * time.Second, At: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	d := figuresDep(t, KindPayment, "psp", f)
	c, err := d.HealthCheck(WithMinCalls(20), WithErrorRateThresholds(0.05, 0.20), WithLatencyThresholds(500*time.Millisecond, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if s := checkstest.SettingsOf(c); c.Name() != "psp" || s.ComponentType != "payment-provider" || s.Critical {
		t.Fatalf("check %s %s critical=%v", c.Name(), s.ComponentType, s.Critical)
	}
	tests := []struct {
		name                          string
		ok, declined, errors, timeout float64
		p95                           time.Duration
		status                        checks.Status
		sentinel                      error
	}{
		{"too few calls", 0, 0, 1, 0, time.Millisecond, checks.StatusPass, nil},
		{"healthy", 99, 0, 0, 0, 10 * time.Millisecond, checks.StatusPass, nil},
		{"declines do not count", 10, 90, 0, 0, 10 * time.Millisecond, checks.StatusPass, nil},
		{"error rate warn", 90, 0, 5, 5, 10 * time.Millisecond, checks.StatusWarn, errHighErrorRate},
		{"error rate fail", 70, 0, 30, 0, 10 * time.Millisecond, checks.StatusFail, errHighErrorRate},
		{"slow warn", 100, 0, 0, 0, 800 * time.Millisecond, checks.StatusWarn, errSlowCalls},
		{"slow fail", 100, 0, 0, 0, 3 * time.Second, checks.StatusFail, errSlowCalls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Outcomes = [len(f.Outcomes)]float64{}
			f.Outcomes[OutcomeSuccess], f.Outcomes[OutcomeDeclined] = tt.ok, tt.declined
			f.Outcomes[OutcomeError], f.Outcomes[OutcomeTimeout] = tt.errors, tt.timeout
			f.Outcomes[OutcomeCanceled] = 1000 // says nothing about the provider
			f.P50, f.P95, f.P99 = tt.p95.Seconds()/2, tt.p95.Seconds(), tt.p95.Seconds()
			o := checkstest.Run(context.Background(), c)
			if o.Status != tt.status {
				t.Fatalf("status %v (%v), want %v; stats %+v", o.Status, o.Err, tt.status, d.Stats())
			}
			if tt.sentinel != nil && !errors.Is(o.Err, tt.sentinel) {
				t.Fatalf("error %v does not wrap %v", o.Err, tt.sentinel)
			}
			if tt.name == "too few calls" {
				if o.Observation == nil || o.Observation.Measurement != "calls" || o.Observation.Value != 1 ||
					!strings.Contains(o.Details["reason"], "below the minimum of 20") {
					t.Fatalf("too few calls: %+v obs %+v", o, o.Observation)
				}
				return
			}
			if o.Observation == nil || o.Observation.Measurement != "errorRate" || o.Observation.Unit != "%" {
				t.Fatalf("observation %+v", o.Observation)
			}
			if o.Details["p95"] != tt.p95.String() || o.Details["calls"] == "" {
				t.Fatalf("details %v", o.Details)
			}
		})
	}
}

// TestStatsFromTheFigures: Stats counts every outcome but canceled calls,
// failures are errors and timeouts, and unmeasured quantiles are 0.
func TestStatsFromTheFigures(t *testing.T) {
	f := &instrumenthook.Figures{Window: 30 * time.Second, P50: math.NaN(), P95: math.NaN(), P99: math.NaN()}
	f.Outcomes[OutcomeSuccess], f.Outcomes[OutcomeDeclined], f.Outcomes[OutcomeRejected] = 5, 2, 1
	f.Outcomes[OutcomeError], f.Outcomes[OutcomeTimeout], f.Outcomes[OutcomeCanceled] = 1, 1, 7
	st := figuresDep(t, KindKYC, "kyc", f).Stats()
	want := Stats{Kind: KindKYC, Name: "kyc", Window: 30 * time.Second, Calls: 10, Success: 5, Declined: 2, Rejected: 1,
		Errors: 1, Timeouts: 1, Failures: 2, ErrorRate: 0.2}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

func TestHealthCheckRegisters(t *testing.T) {
	m, _ := newRig(t)
	d := mustDep(t, m, KindGameProvider, "evolution")
	c, err := d.HealthCheck(withCheckName("evolution-traffic"), WithCheckOptions(checks.WithCritical(true)))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := checks.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reg.Shutdown(context.Background()) }()
	if err := reg.Add(c); err != nil {
		t.Fatal(err)
	}
	if !checkstest.SettingsOf(c).Critical || checkstest.SettingsOf(c).ComponentType != "game-provider" {
		t.Fatal("options not applied")
	}
}

func TestHealthCheckOptionsValidated(t *testing.T) {
	m, _ := newRig(t)
	d := mustDep(t, m, KindKYC, "kyc")
	for _, tc := range []struct {
		opt   HealthOption
		field string
	}{
		{WithErrorRateThresholds(-0.1, 0.5), "WithErrorRateThresholds"},
		{WithErrorRateThresholds(0.5, 0.1), "WithErrorRateThresholds"},
		{WithErrorRateThresholds(0.1, 1.5), "WithErrorRateThresholds"},
		{WithLatencyThresholds(-1, 0), "WithLatencyThresholds"},
		{WithLatencyThresholds(2*time.Second, time.Second), "WithLatencyThresholds"},
		{WithMinCalls(0), "WithMinCalls"},
		{withCheckName("bad name"), "name"},
	} {
		if _, err := d.HealthCheck(tc.opt); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("error %v does not name %s", err, tc.field)
		}
	}
}

// A single-valued option given twice is refused naming it; the check
// options given through WithCheckOptions win over the defaults without
// counting as a repeat, but one given twice is refused too.
func TestHealthCheckRepeatedOptionRefused(t *testing.T) {
	m, _ := newRig(t)
	d := mustDep(t, m, KindKYC, "kyc")
	for _, tc := range []struct {
		opts []HealthOption
		want string
	}{
		{[]HealthOption{WithMinCalls(5), WithMinCalls(6)}, "WithMinCalls: given twice"},
		{[]HealthOption{WithErrorRateThresholds(0.1, 0.2), WithErrorRateThresholds(0.1, 0.3)}, "WithErrorRateThresholds: given twice"},
		{[]HealthOption{WithLatencyThresholds(1, 2), WithLatencyThresholds(1, 3)}, "WithLatencyThresholds: given twice"},
		{[]HealthOption{WithCheckOptions(checks.WithCritical(true)), WithCheckOptions(checks.WithCritical(false))}, "WithCritical: given twice"},
	} {
		if _, err := d.HealthCheck(tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
