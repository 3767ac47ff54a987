package monitor

import (
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/series"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// HealthState is a dependency's state by the status rule, in a form a
// request path can branch on.
type HealthState uint8

// Health states, from the status rule's pass, warn and fail.
const (
	// HealthUnknown: no signal has an opinion yet (no calls, no fresh
	// check, no alert), or no cycle has run.
	HealthUnknown HealthState = iota
	// HealthHealthy: every signal passes.
	HealthHealthy
	// HealthDegraded: the worst signal warns.
	HealthDegraded
	// HealthFailing: the worst signal fails.
	HealthFailing
)

var healthNames = [...]string{"unknown", "healthy", "degraded", "failing"}

// String returns unknown, healthy, degraded or failing.
func (s HealthState) String() string {
	if int(s) < len(healthNames) {
		return healthNames[s]
	}
	return "unknown"
}

// Health is what the status rule said of a dependency in the last cycle
// of the series engine: the same verdict, signal and reason the dashboard
// card and status.json show.
type Health struct {
	State  HealthState
	Signal string    // the signal that decided: check, traffic, alert or override
	Reason string    // one line, e.g. "100 % of 57 calls failed over 30 s"
	Since  time.Time // when the dependency took this state, as far as known
	At     time.Time // the cycle that computed it
}

// Health returns the dependency's state as of the last engine cycle
// (every 5 s after Start, or Monitor.Refresh). It is
// one atomic load: no lock, no allocation, safe on a request path. A nil
// Dependency and one no cycle has judged yet are HealthUnknown.
func (d *Dependency) Health() Health {
	if d == nil {
		return Health{}
	}
	if h := d.health.Load(); h != nil {
		return *h
	}
	return Health{}
}

// healthOf maps the status rule's verdict to a HealthState.
func healthOf(s dashboard.Status) HealthState {
	switch s {
	case dashboard.StatusPass:
		return HealthHealthy
	case dashboard.StatusWarn:
		return HealthDegraded
	case dashboard.StatusFail:
		return HealthFailing
	}
	return HealthUnknown
}

// dependencySignals are the opinions the status rule weighs for a
// dependency: its passive health check, its live traffic and the alerts
// about it. The dashboard and Dependency.Health both decide from them.
func dependencySignals(d *Dependency, res checks.Result, hasCheck bool, f figures, window time.Duration, alerts []componentAlert) []signal {
	var sigs []signal
	if hasCheck {
		if s, ok := checkSignal(res); ok {
			sigs = append(sigs, s)
		}
	}
	if s, ok := trafficSignal(f, window); ok {
		sigs = append(sigs, s)
	}
	return append(sigs, alertSignals(alerts, [2]string{attrDependencyName, d.Name()}, [2]string{attrDependencyKind, d.Kind()})...)
}

// publishHealth runs last in each engine cycle, after the traffic reader:
// it applies the status rule to every dependency and publishes the result
// whole, so a request path reads one consistent verdict.
func (m *Monitor) publishHealth(c *series.Cycle) {
	deps := m.dependencyList()
	if len(deps) == 0 {
		return
	}
	tr := m.traffic.snapshot()
	var alerts []componentAlert
	if m.alerting != nil {
		alerts = componentAlerts(tr.alerts, m.alerting.rules)
	}
	results := map[string]checks.Result{}
	for _, r := range m.checks.Results() {
		results[r.Name] = r
	}
	for _, d := range deps {
		res, ok := results[d.Name()]
		var comp dashboard.Component
		decide(&comp, dependencySignals(d, res, ok, tr.deps[depKey{d.Kind(), d.Name()}], tr.window, alerts))
		h := &Health{State: healthOf(comp.Status), Signal: comp.Signal, Reason: comp.Reason, Since: comp.Since, At: c.Now}
		if prev := d.health.Load(); prev != nil && prev.State == h.State {
			if h.Since.IsZero() || prev.Since.Before(h.Since) && !prev.Since.IsZero() {
				h.Since = prev.Since
			}
		} else if h.Since.IsZero() {
			h.Since = c.Now
		}
		d.health.Store(h)
	}
}
