// Package checkstest gives the tests of igmon packages typed access to
// what package checks keeps unexported: running one check outside a
// registry, its effective settings, and the registry's clock. It is
// internal, so none of it is public API.
package checkstest

import (
	"context"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/testhooks"
)

// WithClock makes a registry read c for TTLs, staleness and grace periods.
func WithClock(c clock.Clock) checks.RegistryOption {
	return testhooks.ChecksWithClock(c).(checks.RegistryOption)
}

// Outcome is what one run of a check produced, before thresholds,
// staleness and overrides.
type Outcome struct {
	Status      checks.Status
	Err         error
	Observation *checks.Observation
	Details     map[string]string
	Start       time.Time
	Duration    time.Duration
}

// Run runs c once, outside any registry, with its timeout, panic recovery
// and observation capture: what the registry does on every run.
func Run(ctx context.Context, c *checks.Check) Outcome {
	o := testhooks.ChecksRun(ctx, c)
	obs, _ := o.Observation.(*checks.Observation)
	return Outcome{Status: checks.Status(o.Status), Err: o.Err, Observation: obs, Details: o.Details, Start: o.Start, Duration: o.Duration}
}

// Settings are a check's effective settings.
type Settings struct {
	Endpoints                          checks.Endpoint
	Timeout, Interval, TTL, StaleAfter time.Duration
	OnRequest, Critical                bool
	ComponentType                      string
}

// SettingsOf returns c's effective settings.
func SettingsOf(c *checks.Check) Settings {
	s := testhooks.ChecksSettings(c)
	return Settings{Endpoints: checks.Endpoint(s.Endpoints), Timeout: s.Timeout, Interval: s.Interval, TTL: s.TTL,
		StaleAfter: s.StaleAfter, OnRequest: s.OnRequest, Critical: s.Critical, ComponentType: s.ComponentType}
}
