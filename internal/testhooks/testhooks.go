// Package testhooks carries test-only access from an igmon package to the
// tests of other igmon packages without exporting it: the owning package
// fills the variables in an init function, and a typed wrapper package
// (internal/checkstest) calls them. Nothing outside the module can reach
// it, so none of it is public API.
package testhooks

import (
	"context"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

// CheckSettings are a check's effective settings, in types this package
// can name without importing checks.
type CheckSettings struct {
	Endpoints                          uint8
	Timeout, Interval, TTL, StaleAfter time.Duration
	OnRequest, Critical                bool
	ComponentType                      string
}

// CheckOutcome is one run of a check, as CheckSettings.
type CheckOutcome struct {
	Status      uint8
	Err         error
	Observation any // *checks.Observation or nil
	Details     map[string]string
	Start       time.Time
	Duration    time.Duration
}

// Set by package checks.
var (
	// ChecksWithClock returns a checks.RegistryOption that makes the
	// registry read c for TTLs, staleness and grace periods.
	ChecksWithClock func(c clock.Clock) any
	// ChecksRun runs a *checks.Check once, outside any registry.
	ChecksRun func(ctx context.Context, c any) CheckOutcome
	// ChecksSettings returns a *checks.Check's settings.
	ChecksSettings func(c any) CheckSettings
)
