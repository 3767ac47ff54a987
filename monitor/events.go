package monitor

import (
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
		msg := fmt.Sprintf("check %s: %s → %s", tr.Name, tr.From, tr.To)
		if tr.Err != nil && tr.To != checks.StatusPass {
			msg += ": " + redact.Error(tr.Err)
		}
		attrs := map[string]string{"from": tr.From.String(), "to": tr.To.String(), "component_type": tr.ComponentType}
		if tr.PreviousFor > 0 && tr.From != checks.StatusUnknown {
			attrs["previous_for"] = tr.PreviousFor.String()
		}
		m.events.Record(Event{Time: tr.Time, Component: tr.Name, Kind: EventCheck, Severity: sev, Message: msg, Attrs: attrs})
	})
	return nil
}

// Events returns the event log: check transitions, overrides, alert state
// changes, notification outcomes and silences.
func (m *Monitor) Events() *EventLog { return m.events }

// Override forces a check out of service (checks.StatusFail) or into
// service (checks.StatusPass) with a reason, and records who asked in the
// event log.
func (m *Monitor) Override(name string, status checks.Status, reason, by string) error {
	if err := m.checks.Override(name, status, reason); err != nil {
		return err
	}
	m.events.Record(Event{Component: name, Kind: EventOverride, Severity: SeverityWarning,
		Message: fmt.Sprintf("override %s set to %s: %s", name, status, reason), Attrs: map[string]string{"by": by}})
	return nil
}

// ClearOverride removes an override and records it in the event log.
func (m *Monitor) ClearOverride(name, reason, by string) error {
	if err := m.checks.ClearOverride(name, reason); err != nil {
		return err
	}
	m.events.Record(Event{Component: name, Kind: EventOverride, Severity: SeverityInfo,
		Message: fmt.Sprintf("override %s cleared: %s", name, reason), Attrs: map[string]string{"by": by}})
	return nil
}
