package monitor

import (
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/passive"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// The status rule: a component's status is the worst of
//
//   - its health check's fresh result (a stale one never decides),
//   - its live traffic over the status window (defaultStatusWindow), judged
//     with the passive-health thresholds (defaultErrorRateWarn and
//     defaultErrorRateFail of at least defaultMinCalls calls; fewer calls
//     pass when none failed and warn otherwise),
//   - the firing alerts that carry its labels (dashboard.AlertStatus of
//     their severity),
//
// and the answer names the signal that decided. A signal without an
// opinion (no check, no calls, no alert) is left out; with no opinion at
// all the status is unknown. An operator's override of the component's
// check decides alone.

// signal is one opinion about a component.
type signal struct {
	status dashboard.Status
	kind   string // "check", "traffic" or "alert"
	reason string
	since  time.Time // when the signal took this status, when known
	// rule and severity name an alert signal's rule and its severity;
	// fingerprint tells it from the rule's other alerts, which may have
	// fired in the same cycle (one per route).
	rule, severity, fingerprint string
}

// decide applies the status rule to a component's signals. An
// operator's override is a decision, not a signal: it wins.
func decide(c *dashboard.Component, sigs []signal) {
	c.Status, c.Signal, c.Reason, c.Since = dashboard.StatusUnknown, "", "", time.Time{}
	best := -1
	for i, s := range sigs {
		if s.kind == "override" {
			best = i
			break
		}
		if best < 0 || rank(s.status) > rank(sigs[best].status) {
			best = i
		}
	}
	if best >= 0 {
		c.Status, c.Signal, c.Reason, c.Since = sigs[best].status, sigs[best].kind, sigs[best].reason, sigs[best].since
	}
}

func rank(s dashboard.Status) int {
	switch s {
	case dashboard.StatusPass:
		return 0
	case dashboard.StatusWarn:
		return 1
	case dashboard.StatusUnknown:
		return 2
	}
	return 3
}

// checkSignal is a check's opinion, none when it is stale.
func checkSignal(r checks.Result) (signal, bool) {
	if r.Stale {
		return signal{}, false
	}
	s := signal{status: dashboard.Status(r.Status.String()), kind: "check", reason: "check " + r.Name + ": " + r.Status.String(), since: r.Since}
	if r.Override != nil {
		s.kind, s.since = "override", r.Override.Time
		s.reason = "overridden by an operator to " + r.Override.Status.String()
	}
	return s, true
}

// trafficSignal judges live traffic with the one traffic rule
// (internal/passive), the rule a standalone dependency's Health uses too.
func trafficSignal(f figures, window time.Duration) (signal, bool) {
	level, reason, ok := passive.Judge(f.calls, f.failures, window)
	if !ok {
		return signal{}, false
	}
	status := [...]dashboard.Status{passive.Pass: dashboard.StatusPass, passive.Warn: dashboard.StatusWarn, passive.Fail: dashboard.StatusFail}[level]
	return signal{status: status, kind: "traffic", reason: reason}, true
}

// alertSignals are the opinions of the firing alerts about the component
// that the labels in id identify: every key of id that an alert carries
// must match, and the first key (the component's name) must be there.
func alertSignals(alerts []componentAlert, id ...[2]string) []signal {
	var out []signal
	for _, a := range alerts {
		if a.Alert.State != alerting.StateFiring || len(id) == 0 {
			continue
		}
		if v, ok := a.labels[id[0][0]]; !ok || v != id[0][1] {
			continue
		}
		match := true
		for _, kv := range id[1:] {
			if v, ok := a.labels[kv[0]]; ok && v != kv[1] {
				match = false
			}
		}
		if !match {
			continue
		}
		sev := a.Alert.Labels["severity"]
		reason := "alert " + a.Alert.Rule + " firing"
		if sev != "" {
			reason += " (" + sev + ")"
		}
		out = append(out, signal{status: dashboard.AlertStatus(sev), kind: "alert", reason: reason, since: a.Alert.FiredAt, rule: a.Alert.Rule, severity: sev, fingerprint: a.Alert.Fingerprint})
	}
	return out
}

// componentAlert is an alert with the labels that say what it is about:
// its own labels and the equality matchers of its rule's selectors (a
// rule over igmon.dependency.name="stripe" is about stripe even without
// a By).
type componentAlert struct {
	alerting.Alert
	labels map[string]string
}

func componentAlerts(alerts []alerting.Alert, rules map[string]alerting.Rule) []componentAlert {
	out := make([]componentAlert, 0, len(alerts))
	for _, al := range alerts {
		l := make(map[string]string, len(al.Labels))
		for _, sel := range rules[al.Rule].Selectors() {
			for _, mt := range sel.Matchers {
				if mt.Type == alerting.MatchEqual && mt.Value != "" {
					l[mt.Name] = mt.Value
				}
			}
		}
		for k, v := range al.Labels {
			l[k] = v
		}
		out = append(out, componentAlert{Alert: al, labels: l})
	}
	return out
}
