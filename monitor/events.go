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
		capacity = defaultEventCapacity
	}
	l, err := newEventLog(capacity, m.logger, nil)
	if err != nil {
		return fmt.Errorf("monitor: option WithEventCapacity: %w", err)
	}
	m.events = l
	m.checks.Subscribe(func(tr checks.Transition) {
		sev := severityInfo
		switch tr.To {
		case checks.StatusWarn:
			sev = severityWarning
		case checks.StatusFail, checks.StatusUnknown:
			sev = severityCritical
		}
		noun, kind := "check", eventCheck
		if m.isProbe(tr.Name) {
			noun, kind = "probe", eventProbe
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
		if kind == eventProbe && !tr.First {
			// A synthetic probe's check turns fail only after its failure
			// threshold: the start (and end) of a failure streak.
			if tr.To == checks.StatusFail || tr.To == checks.StatusWarn {
				msg = fmt.Sprintf("probe %s failure streak: %d consecutive failures", tr.Name, tr.ConsecutiveFailures)
			} else if tr.From == checks.StatusFail || tr.From == checks.StatusWarn {
				msg = fmt.Sprintf("probe %s recovered after %s", tr.Name, tr.PreviousFor.Round(time.Second))
			}
		}
		m.events.Record(timelineEvent{Time: tr.Time, Component: tr.Name, Kind: kind, Severity: sev, Message: msg, Attrs: attrs})
	})
	return nil
}

// recordOverride puts every operator override, set or cleared through
// the registry by anyone (the dashboard, m.Checks().Override, an admin
// endpoint), in the event log with who asked and why.
func (m *Monitor) recordOverride(c checks.OverrideChange) {
	e := timelineEvent{Time: c.Time, Component: c.Name, Kind: eventOverride, Severity: severityInfo,
		Message: fmt.Sprintf("override %s cleared: %s", c.Name, c.Reason), Attrs: map[string]string{"by": c.By, "reason": c.Reason}}
	if c.Override != nil {
		e.Severity = severityWarning
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
	e := timelineEvent{Component: "alerting", Kind: eventNotification, Severity: severityInfo,
		Message: fmt.Sprintf("notification to %s delivered (%d firing, %d resolved)", receiver, firing, resolved),
		Attrs:   map[string]string{"receiver": receiver, "group": groupKey}}
	if err != nil {
		e.Severity = severityWarning
		e.Message = fmt.Sprintf("notification to %s failed after retries (%d firing, %d resolved)", receiver, firing, resolved)
		e.Attrs["error"] = redact.Error(err)
	}
	m.events.Record(e)
}

// EventsHandler serves the event log as JSON (GET ?component=&kind=&since=&until=&limit=) behind
// the Monitor's authorizer: callers it does not admit (and everyone, when
// there is none) get the timeline without error text, operator reasons or
// evidence.
func (m *Monitor) EventsHandler() http.Handler {
	full := m.events.handler(false)
	public := m.events.handler(true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.cfg.authorizer != nil && m.cfg.authorizer(r) {
			full.ServeHTTP(w, r)
			return
		}
		public.ServeHTTP(w, r)
	})
}
