package checks

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errTimeout is reported when a check did not return within its timeout.
var errTimeout = errors.New("check timed out")

// errPanic is wrapped by the error reported for a check that panicked.
var errPanic = errors.New("check panicked")

// errStale is reported for a check whose last result is older than its
// stale bound ([WithStaleAfter]). A stale result never decides a
// component's status.
var errStale = errors.New("result is stale")

// errStillRunning is reported when an earlier run of the check is still
// running after its timeout, so no new run was started.
var errStillRunning = errors.New("previous run still in progress after its timeout")

// errUndecided is reported for a check whose runs passed, but fewer times
// in a row than its success threshold (WithThresholds) needs to decide its
// first status.
var errUndecided = errors.New("passed, not yet as many times in a row as the success threshold")

// errNotRun is reported for a check that has never completed a run.
var errNotRun = errors.New("check has not run yet")

// errOutOfService is reported for a check an operator took out of service.
var errOutOfService = errors.New("out of service by operator override")

// errDraining is reported by readiness while the registry drains.
var errDraining = errors.New("shutting down")

type warnError struct{ err error }

func (w warnError) Error() string { return w.err.Error() }
func (w warnError) Unwrap() error { return w.err }

// Warn marks err as a degraded result: the check reports warn (HTTP 200,
// visible in the body, logs and metrics) instead of fail. Warn(nil) is nil.
func Warn(err error) error {
	if err == nil {
		return nil
	}
	return warnError{err}
}

// isWarn reports whether err was marked by Warn.
func isWarn(err error) bool {
	var w warnError
	return errors.As(err, &w)
}

// Observation is a measured value attached to a run, shown as the IETF
// observedValue / observedUnit.
type Observation struct {
	// Measurement is the second half of the "component:measurement" key,
	// e.g. "responseTime", "utilization", "freeBytes", "daysLeft".
	Measurement string
	// Value is the measured number, in Unit.
	Value float64
	// Unit is a short unit string: "ms", "s", "By", "%", "days", "{call}".
	Unit string
}

// recorder collects Observe and Detail calls made during one run.
type recorder struct {
	mu      sync.Mutex
	obs     *Observation
	details map[string]string
}

type recorderKey struct{}

// Observe attaches an observed value to the check run that ctx belongs to.
// The last call wins. Outside a check run it does nothing.
func Observe(ctx context.Context, measurement string, value float64, unit string) {
	if r, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		r.mu.Lock()
		r.obs = &Observation{Measurement: measurement, Value: value, Unit: unit}
		r.mu.Unlock()
	}
}

// Detail attaches a key/value detail (pool sizes, the address dialled) to
// the check run that ctx belongs to. Details are shown only to authorized
// callers. Outside a check run it does nothing.
func Detail(ctx context.Context, key, value string) {
	if r, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		r.mu.Lock()
		if r.details == nil {
			r.details = make(map[string]string)
		}
		r.details[key] = value
		r.mu.Unlock()
	}
}

// outcome is what one run of a check produced, before thresholds,
// criticality, staleness and overrides are applied.
type outcome struct {
	// Status is pass, warn or fail.
	Status Status
	// Err is the error the check returned (nil on pass).
	Err error
	// Observation is set when the check called Observe.
	Observation *Observation
	// Details holds what the check passed to Detail.
	Details map[string]string
	// Start is when the run began.
	Start time.Time
	// Duration is how long the run took.
	Duration time.Duration
}

// Override is an operator's run-time decision about a check.
type Override struct {
	// Status is StatusFail (out of service) or StatusPass (forced in service).
	Status Status
	// Reason is the operator's explanation, logged and shown to
	// authorized callers (redacted).
	Reason string
	// By is who set it (an operator's name, "dashboard"), as audited.
	By string
	// Time is when the override was set.
	Time time.Time
}

// Result is the current state of a registered check, with thresholds,
// criticality, staleness and overrides applied.
//
// A stale result never decides a component's status: when the last run is
// older than the check's stale bound, Status is StatusUnknown (warn for a
// non-critical check), Stale is set and Err says "result is stale", whatever the
// last run said. Endpoint aggregates stay conservative and count it as
// failing; code that derives a component's status from results should
// skip stale ones.
type Result struct {
	// Name is the check's name.
	Name string
	// ComponentType is the check's IETF componentType.
	ComponentType string
	// Endpoints are the endpoints the check affects.
	Endpoints Endpoint
	// Critical reports whether a failure fails the endpoints (else warn).
	Critical bool
	// Status is what the check contributes to its endpoints: a failing
	// non-critical check reports warn; a stale result reports unknown.
	Status Status
	// Err explains a non-pass status. It is unredacted: pass it through the
	// redactor before showing it to anyone.
	Err error
	// Observation is the last observed value, if the check reported one.
	Observation *Observation
	// Details are what the last run passed to Detail; shown only to
	// authorized callers.
	Details map[string]string
	// Time is when the last run finished (the registry's clock); zero if
	// it never ran.
	Time time.Time
	// Duration is how long the last run took.
	Duration time.Duration
	// Since is when Status last changed.
	Since time.Time
	// ConsecutiveFailures counts the failed runs in a row up to the last
	// one; ConsecutiveSuccesses the passing ones. One of them is 0.
	ConsecutiveFailures  int
	ConsecutiveSuccesses int
	// Stale is set when the last result is older than the check's stale
	// bound ([WithStaleAfter]): a scheduled check whose loop stopped or
	// fell behind, or an on-request check nobody asked about. A stale
	// result does not decide the status (see above).
	Stale bool
	// Override is the operator override in force, if any.
	Override *Override
}

// age returns how old the result is at now (now - Time), or 0 for a check
// that never ran.
func (r Result) age(now time.Time) time.Duration {
	if r.Time.IsZero() {
		return 0
	}
	return now.Sub(r.Time)
}
