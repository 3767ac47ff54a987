// Package instrumenthook gives package monitor (and the tests of igmon's
// packages) the seams of package instrument that are not public API: how a
// Monitor hands a dependency its provider and the figures of its series
// engine, publishes the status rule's verdict, and asks how a call's error
// counts. Package instrument fills the variables in when it is
// initialised, so they are set in every program that links it. Values are
// typed any where they are instrument's own types, because instrument
// imports this package.
package instrumenthook

import (
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/clock"
)

// Figures are one dependency's traffic over the status window, as one
// cycle of the series engine computed them.
type Figures struct {
	// Window is the length of time the figures cover; At is the engine
	// cycle they come from (zero before the first one).
	Window time.Duration
	At     time.Time
	// Outcomes counts the calls in the window by instrument.Outcome (the
	// index), canceled ones included.
	Outcomes [8]float64
	// P50, P95 and P99 are latency quantiles in seconds, NaN when nothing
	// was measured.
	P50, P95, P99 float64
}

// Source returns the current figures of the dependency kind/name. It is
// called on every Stats and must not block.
type Source func(kind, name string) Figures

var (
	// WithMonitor returns an instrument.Option (for both NewDependency and
	// Middleware) that records into mp and, for a dependency, reads Stats
	// from src. Options built with it refuse WithMeterProvider: a Monitor's
	// instrumentation records into the Monitor's provider.
	WithMonitor func(mp metric.MeterProvider, src Source) any
	// SetHealth publishes h, an instrument.Health, as the verdict an
	// *instrument.Dependency returns from Health.
	SetHealth func(d any, h any)
	// Failure reports whether err counts against the *instrument.Dependency
	// d as Track would count it (its WithErrorClassifier, Declined).
	Failure func(d any, err error) bool
	// WithClock returns an instrument.DependencyOption that times calls on
	// c (tests).
	WithClock func(c clock.Clock) any
)
