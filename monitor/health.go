package monitor

import (
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/instrumenthook"
	"github.com/jackcode/igmon/internal/series"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// healthOf maps the status rule's verdict to a checks.Status.
func healthOf(s dashboard.Status) checks.Status {
	switch s {
	case dashboard.StatusPass:
		return checks.StatusPass
	case dashboard.StatusWarn:
		return checks.StatusWarn
	case dashboard.StatusFail:
		return checks.StatusFail
	}
	return checks.StatusUnknown
}

// dependencySignals are the opinions the status rule weighs for a
// dependency: its passive health check, its live traffic and the alerts
// about it. The dashboard and Dependency.Health both decide from them.
func dependencySignals(d *instrument.Dependency, res checks.Result, hasCheck bool, f figures, window time.Duration, alerts []componentAlert) []signal {
	var sigs []signal
	if hasCheck {
		if s, ok := checkSignal(res); ok {
			sigs = append(sigs, s)
		}
	}
	if s, ok := trafficSignal(f, window); ok {
		sigs = append(sigs, s)
	}
	return append(sigs, alertSignals(alerts, [2]string{igsemconv.AttrDependencyName, d.Name()}, [2]string{igsemconv.AttrDependencyKind, d.Kind()})...)
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
		h := instrument.Health{State: healthOf(comp.Status), Signal: comp.Signal, Reason: comp.Reason, Since: comp.Since, At: c.Now}
		if prev := d.Health(); !prev.At.IsZero() && prev.State == h.State { // At is zero until the first verdict
			if h.Since.IsZero() || prev.Since.Before(h.Since) && !prev.Since.IsZero() {
				h.Since = prev.Since
			}
		} else if h.Since.IsZero() {
			h.Since = c.Now
		}
		instrumenthook.SetHealth(d, h)
	}
}
