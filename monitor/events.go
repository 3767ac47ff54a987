package monitor

import (
	"net/http"

	"time"

	"fmt"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/redact"
)

// initEvents creates the event log and feeds it every check transition.
func (m *Monitor) initEvents() error {
	capacity := m.cfg.eventCapacity
	if capacity == 0 {
		capacity = DefaultEventCapacity
	}
	l, err := NewEventLog(capacity, m.logger, nil)
	if err != nil {
		return fmt.Errorf("monitor: option WithEventCapacity: %w", err)
	}
	m.events = l
	m.checks.Subscribe(func(tr checks.Transition) {
		sev := SeverityInfo
		switch tr.To {
		case checks.StatusWarn:
			sev = SeverityWarning
		case checks.StatusFail, checks.StatusUnknown:
			sev = SeverityCritical
		}
		noun, kind := "check", EventCheck
		if m.isProbe(tr.Name) {
			noun, kind = "probe", EventProbe
		}
		attrs := map[string]string{"from": tr.From.String(), "to": tr.To.String(), "component_type": tr.ComponentType}
		msg := fmt.Sprintf("check %s: %s → %s", tr.Name, tr.From, tr.To)
		if tr.First {
			// The state a check starts in says nothing about the
			// component: no "recovered", no outage length.
			msg = fmt.Sprintf("%s %s: first result %s", noun, tr.Name, tr.To)
		} else if tr.PreviousFor > 0 && tr.From != checks.StatusUnknown {
			attrs["previous_for"] = tr.PreviousFor.String()
		}
		if tr.Err != nil && tr.To != checks.StatusPass {
			// Also an attribute, so that the status page can show the
			// error to authorized viewers only.
			e := redact.Error(tr.Err)
			msg += ": " + e
			attrs["error"] = e
		}
		if kind == EventProbe && !tr.First {
			// A synthetic probe's check turns fail only after its failure
			// threshold: the start (and end) of a failure streak.
			if tr.To == checks.StatusFail || tr.To == checks.StatusWarn {
				msg = fmt.Sprintf("probe %s failure streak: %d consecutive failures", tr.Name, tr.ConsecutiveFailures)
			} else if tr.From == checks.StatusFail || tr.From == checks.StatusWarn {
				msg = fmt.Sprintf("probe %s recovered after %s", tr.Name, tr.PreviousFor.Round(time.Second))
			}
		}
		m.events.Record(Event{Time: tr.Time, Component: tr.Name, Kind: kind, Severity: sev, Message: msg, Attrs: attrs})
	})
	return nil
}

// Events returns the event log: check transitions, overrides, alert state
// changes, notification outcomes and silences.
func (m *Monitor) Events() *EventLog { return m.events }

// recordOverride puts every operator override, set or cleared through
// the registry by anyone (the dashboard, m.Checks().Override, an admin
// endpoint), in the event log with who asked and why.
func (m *Monitor) recordOverride(c checks.OverrideChange) {
	e := Event{Time: c.Time, Component: c.Name, Kind: EventOverride, Severity: SeverityInfo,
		Message: fmt.Sprintf("override %s cleared: %s", c.Name, c.Reason), Attrs: map[string]string{"by": c.By, "reason": c.Reason}}
	if c.Override != nil {
		e.Severity = SeverityWarning
		e.Message = fmt.Sprintf("override %s set to %s: %s", c.Name, c.Override.Status, c.Reason)
	}
	m.events.Record(e)
}

// isProbe reports whether name is a synthetic probe added with AddProbe.
func (m *Monitor) isProbe(name string) bool {
	m.probes.mu.Lock()
	defer m.probes.mu.Unlock()
	for _, p := range m.probes.synthetic {
		if p.Name() == name {
			return true
		}
	}
	return false
}

// recordDelivery puts the final outcome of a notification in the event log.
func (m *Monitor) recordDelivery(receiver, groupKey string, firing, resolved int, err error) {
	e := Event{Component: "alerting", Kind: EventNotification, Severity: SeverityInfo,
		Message: fmt.Sprintf("notification to %s delivered (%d firing, %d resolved)", receiver, firing, resolved),
		Attrs:   map[string]string{"receiver": receiver, "group": groupKey}}
	if err != nil {
		e.Severity = SeverityWarning
		e.Message = fmt.Sprintf("notification to %s failed after retries (%d firing, %d resolved)", receiver, firing, resolved)
		e.Attrs["error"] = redact.Error(err)
	}
	m.events.Record(e)
}

// EventsHandler serves the event log as JSON (see EventLog.Handler) behind
// the Monitor's authorizer: callers it does not admit (and everyone, when
// there is none) get the timeline without error text, operator reasons or
// evidence.
func (m *Monitor) EventsHandler() http.Handler {
	full := m.events.Handler()
	public := m.events.handler(true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.cfg.authorizer != nil && m.cfg.authorizer(r) {
			full.ServeHTTP(w, r)
			return
		}
		public.ServeHTTP(w, r)
	})
}
