package monitor

import (
	"errors"
	"fmt"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/failover"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/failoverhook"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

// eventFailover is the event kind of a breaker transition or a change of
// the provider that serves a failover group.
const eventFailover = "failover"

// Failover returns a failover group named name over deps, the preferred
// dependency first: each call goes to the first dependency whose breaker
// admits it (see package failover). The Monitor wires what it knows:
//
//   - a dependency's Health opens its breaker when it turns failing;
//   - a call's error counts against the dependency as Track would count
//     it (its WithErrorClassifier, Declined): declines never trip;
//   - the group's metrics go to the Monitor's meter provider, every
//     breaker transition and change of the serving provider to the event
//     log, and the dashboard shows which provider serves and why.
//
// The calls themselves are still recorded by the dependency (Transport,
// Track): the group only decides where they go. Group names are unique
// per Monitor. The options are failover.New's, failover.WithMeterProvider
// and failover.WithListener excepted: the Monitor sets them, and refuses
// them naming them.
func (m *Monitor) Failover(name string, deps []*instrument.Dependency, opts ...failover.Option) (*failover.Group, error) {
	provs := make([]failover.Provider, 0, len(deps))
	for i, d := range deps {
		if d == nil {
			return nil, fmt.Errorf("monitor: failover group %q: dependency %d is nil", name, i)
		}
		provs = append(provs, failover.Provider{
			Name: d.Name(),
			Health: func() (bool, string) {
				h := d.Health()
				return h.State == checks.StatusFail, h.Reason
			},
			Failure: func(err error) bool { return instrumenthook.Failure(d, err) },
		})
	}
	all := append([]failover.Option{failover.WithMeterProvider(m.mp), failover.WithListener(m.recordFailover),
		failoverhook.Reserve("not for a Monitor's group, whose metrics and changes go to the Monitor (its meter provider, event log and dashboard)",
			"WithMeterProvider", "WithListener").(failover.Option)}, opts...)
	g, err := failover.New(name, provs, all...)
	if err != nil {
		return nil, err // "failover: group ...": already names where it failed
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.failovers {
		if o.Name() == name {
			return nil, errors.New("monitor: failover group " + name + " is declared twice")
		}
	}
	m.failovers = append(m.failovers, g)
	return g, nil
}

// recordFailover puts a group's change in the event log: leaving the
// preferred provider or opening a breaker is a warning, coming back
// information.
func (m *Monitor) recordFailover(c failover.Change) {
	sev := severityInfo
	var msg string
	switch c.Kind {
	case "breaker": // a breaker transition; otherwise "route"
		if c.To == "open" {
			sev = severityWarning
		}
		msg = fmt.Sprintf("%s: %s breaker %s → %s: %s", c.Group, c.Provider, c.From, c.To, c.Reason)
	default:
		msg = fmt.Sprintf("%s: calls go to %s (was %s): %s", c.Group, c.To, c.From, c.Reason)
		if !m.preferred(c.Group, c.To) {
			sev = severityWarning
		}
	}
	m.events.Record(timelineEvent{Time: c.Time, Component: c.Provider, Kind: eventFailover, Severity: sev, Message: msg,
		Attrs: map[string]string{"group": c.Group, "change": c.Kind, "from": c.From, "to": c.To}})
}

// preferred reports whether provider is the first of the group.
func (m *Monitor) preferred(group, provider string) bool {
	for _, g := range m.failoverGroups() {
		if g.Name() == group {
			st := g.Status()
			return len(st.Providers) > 0 && st.Providers[0].Name == provider
		}
	}
	return false
}

func (m *Monitor) failoverGroups() []*failover.Group {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*failover.Group(nil), m.failovers...)
}
