package monitor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/httpapi"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/redact"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// annotationEvidence is the annotation a firing alert's diagnostics go in.
const annotationEvidence = "evidence"

// evidenceWindow is how far back a failing component counts as a possible
// cause of an alert, and the window error types are counted over for rules
// that have none of their own (threshold, check_state).
const evidenceWindow = 10 * time.Minute

// maxCauseLines bounds the check lines of the evidence: a notification
// is read on a phone.
const maxCauseLines = 5

// WithAlerting makes the Monitor evaluate rules on what it measures (the
// in-process metrics reader and the check registry) and send alerts through
// the notification pipeline configured by opts (receivers, routes,
// inhibition, maintenance windows, evaluation interval). Firing alerts carry
// diagnostics in their "evidence" annotation; state changes go to the event
// log.
//
// opts mixes the evaluator's and the dispatcher's options: the Monitor
// builds both and gives each option to the one it belongs to. It sets the
// logger, meter provider, resource, metric and check sources and sink
// itself: giving one of those is refused, naming it.
func WithAlerting(rules []alerting.Rule, opts ...alerting.Option) Option {
	return optionFunc(func(c *config) {
		if err := alerting.ValidateRules(rules); err != nil {
			c.fail("WithAlerting", "%v", err)
		}
		for i, o := range opts {
			if o == nil {
				c.fail("WithAlerting", "option #%d is nil", i)
			}
		}
		c.alertRules = append(c.alertRules, rules...)
		c.alertOpts = append(c.alertOpts, opts...)
		c.alerting = true
	})
}

// alertingState is the Monitor's evaluator and pipeline.
type alertingState struct {
	m        *Monitor
	eval     *alerting.Evaluator
	disp     *dispatch.Dispatcher
	silences *dispatch.Silences

	// now is the evaluator's clock. The alerting options that carry a
	// test's fake clock are opaque to this package, so tests of this
	// package set it to the same fake clock.
	now func() time.Time
	// rules by name, for the window of an alert's rule.
	rules map[string]alerting.Rule
	// errs counts dependency calls by error type over every rule window,
	// on the series engine.
	errs *errorTypes

	mu   sync.Mutex
	prev map[string]alerting.State // by fingerprint
}

// checkSource adapts the registry to alerting.CheckSource.
type checkSource struct{ r *checks.Registry }

func (s checkSource) CheckStatus(name string) (string, time.Time, bool) {
	res, ok := s.r.Result(name)
	if !ok {
		return "", time.Time{}, false
	}
	return res.Status.String(), res.Since, true
}

func (s checkSource) CheckNames() []string {
	res := s.r.Results()
	names := make([]string, len(res))
	for i, r := range res {
		names[i] = r.Name
	}
	return names
}

func (m *Monitor) initAlerting() error {
	if !m.cfg.alerting {
		return nil
	}
	if m.cfg.meterProvider != nil && m.cfg.telemetry.inproc == nil {
		// Without WithInProcess the in-process reader is only registered
		// with the provider the Monitor builds: on the user's provider
		// these rules would never see a number and never fire, silently.
		for _, r := range m.cfg.alertRules {
			if _, ok := r.Condition.(*alerting.CheckState); !ok {
				return fmt.Errorf("monitor: option WithAlerting: rule %q reads metrics, which the Monitor cannot read from a provider given with WithMeterProvider unless its reader is given with WithInProcess", r.Name)
			}
		}
	}
	a := &alertingState{m: m, prev: map[string]alerting.State{}, now: time.Now, rules: map[string]alerting.Rule{}}
	windows := []time.Duration{evidenceWindow}
	for _, r := range m.cfg.alertRules {
		a.rules[r.Name] = r
		windows = append(windows, ruleWindows(r)...)
	}
	// Registered before the evaluator joins the engine, so each cycle
	// counts the error types before the rules' alerts ask for them.
	var err error
	if a.errs, err = newErrorTypes(m.engine, windows); err != nil {
		return fmt.Errorf("monitor: option WithAlerting: %w", err)
	}
	// The resource gives rules grouping by host.name their value, a
	// PerInstance rule its instance, and forwarded alerts their service
	// and environment, the same on every replica.
	res := map[string]string{}
	if m.resource != nil {
		for _, kv := range m.resource.Attributes() {
			res[string(kv.Key)] = kv.Value.Emit()
		}
	}
	base := []alerting.SharedOption{alerting.WithLogger(m.logger), alerting.WithMeterProvider(m.mp), alerting.WithResource(res)}
	dopts := []dispatch.Option{alerthook.WithDeliveryListener(m.recordDelivery).(dispatch.Option)}
	eopts := []alerting.EvaluatorOption{alerting.WithMetricSource(m.engine), alerting.WithCheckSource(checkSource{m.checks}), alerting.WithSink(a)}
	for _, o := range base {
		dopts, eopts = append(dopts, o), append(eopts, o)
	}
	// Each option goes to the constructor it belongs to; a SharedOption
	// to both.
	for _, o := range m.cfg.alertOpts {
		if do, ok := o.(dispatch.Option); ok {
			dopts = append(dopts, do)
		}
		if eo, ok := o.(alerting.EvaluatorOption); ok {
			eopts = append(eopts, eo)
		}
	}
	disp, err := dispatch.New(dopts...)
	if err != nil {
		return fmt.Errorf("monitor: option WithAlerting: %w", err)
	}
	a.disp, a.silences = disp, disp.Silences()
	// One hook for every way a silence changes (Go code, the alerting
	// HTTP API, the dashboard): the audit trail cannot miss a path.
	alerthook.SubscribeSilences(a.silences, a.recordSilence)
	// The evaluator joins the Monitor's series engine: its rules, the
	// component status and the dashboard read one set of windows.
	a.eval, err = alerting.NewEvaluator(m.cfg.alertRules, eopts...)
	if err != nil {
		_ = disp.Close()
		return fmt.Errorf("monitor: option WithAlerting: %w", err)
	}
	// The evidence windows follow the evaluator's clock (a test sets it through internal/alerthook).
	a.now = func() time.Time { return alerthook.Now(a.eval) }
	m.alerting = a
	return nil
}

func (a *alertingState) start() error {
	if err := a.disp.Start(); err != nil {
		return err
	}
	return a.eval.Start()
}

// stop stops evaluating, then flushes and closes the pipeline.
func (a *alertingState) stop(ctx context.Context) error {
	a.eval.Stop()
	err := a.disp.Flush(ctx)
	return errors.Join(err, a.disp.Close())
}

// Receive implements alerting.Sink: it adds diagnostics to firing alerts,
// records state changes in the event log and hands the alerts on.
func (a *alertingState) Receive(alerts []alerting.Alert) {
	out := make([]alerting.Alert, len(alerts))
	for i, al := range alerts {
		if al.State == alerting.StateFiring || al.State == alerting.StatePending {
			al.Annotations = maps.Clone(al.Annotations)
			if al.Annotations == nil {
				al.Annotations = map[string]string{}
			}
			if ev := a.evidence(al); len(ev) > 0 {
				al.Annotations[annotationEvidence] = strings.Join(ev, "\n")
			}
		}
		out[i] = al
	}
	a.recordChanges(out)
	a.disp.Receive(out)
}

func (a *alertingState) recordChanges(alerts []alerting.Alert) {
	a.mu.Lock()
	seen := make(map[string]bool, len(alerts))
	var changed []alerting.Alert
	for _, al := range alerts {
		seen[al.Fingerprint] = true
		if a.prev[al.Fingerprint] != al.State {
			a.prev[al.Fingerprint] = al.State
			changed = append(changed, al)
		}
	}
	for fp := range a.prev {
		if !seen[fp] {
			delete(a.prev, fp)
		}
	}
	a.mu.Unlock()
	for _, al := range changed {
		sev := severityInfo
		switch {
		case al.State == alerting.StateFiring && al.Labels["severity"] == "critical", al.State == alerting.StateFiring && al.Labels["severity"] == "page":
			sev = severityCritical
		case al.State == alerting.StateFiring, al.State == alerting.StatePending:
			sev = severityWarning
		}
		msg := fmt.Sprintf("alert %s %s (value %s)", al.Rule, al.State, a.valueText(al))
		if s := al.Annotations["summary"]; s != "" {
			msg += ": " + s
		}
		attrs := map[string]string{"fingerprint": al.Fingerprint}
		if ev := al.Annotations[annotationEvidence]; ev != "" {
			attrs["evidence"] = ev
		}
		// Stamped with when the state changed on the evaluator's clock,
		// as check events carry their transition time.
		at := al.ActiveAt
		switch al.State {
		case alerting.StateFiring:
			at = al.FiredAt
		case alerting.StateResolved:
			at = al.ResolvedAt
		}
		a.m.events.Record(timelineEvent{Time: at, Component: alertComponent(al), Kind: eventAlert, Severity: sev, Message: msg, Attrs: attrs})
	}
}

// alertComponent names the component an alert is about, from its labels.
func alertComponent(al alerting.Alert) string {
	for _, k := range []string{"component", "igmon.dependency.name", "dependency", "check", "igmon.check.name", "http.route"} {
		if v := al.Labels[k]; v != "" {
			return v
		}
	}
	return al.Rule
}

// evidence explains an alert: the value and rule, the checks that started
// failing shortly before (still failing, or failed and recovered; earliest
// first: the likely cause), and the dependency's most frequent error types
// over the alert's window. Simple on purpose: a person must be able to
// check every line.
func (a *alertingState) evidence(al alerting.Alert) []string {
	var ev []string
	now := a.now()
	started := al.ActiveAt
	if started.IsZero() {
		started = now
	}
	ev = append(ev, fmt.Sprintf("%s = %s since %s", al.Rule, a.valueText(al), started.UTC().Format(time.RFC3339)))
	target := alertComponent(al)
	ev = append(ev, a.causes(target, started, a.causeWindow(al))...)
	window := a.errorWindow(al)
	if types := a.errs.top(target, window, 3); len(types) > 0 {
		ev = append(ev, fmt.Sprintf("top error types of %s (last %s): %s", target, shortDuration(window), strings.Join(types, ", ")))
	}
	return ev
}

// cause is one check that turned non-pass near the start of an alert.
type cause struct {
	name      string
	status    string
	since     time.Time
	recovered time.Time // zero while still non-passing
	err       string    // redacted
}

// causeWindow is how far before an alert's start a check's failure can
// still be its cause: the rule's window, or for rules without one
// (threshold, check_state) twice its `for` and at least minCauseWindow.
// Older episodes are left out: a maintenance override cleared minutes
// before a database outage is no cause of it.
func (a *alertingState) causeWindow(al alerting.Alert) time.Duration {
	r, ok := a.rules[al.Rule]
	if !ok {
		return evidenceWindow
	}
	if ws := ruleWindows(r); len(ws) > 0 && ws[0] > 0 {
		return a.errorWindow(al)
	}
	return max(2*r.For, minCauseWindow)
}

// minCauseWindow bounds causeWindow from below.
const minCauseWindow = 5 * time.Minute

// causes lists the checks that were not passing during the cause window
// before started (up to a minute after it): those still failing (from the
// registry; stale results say nothing and are left out) and those that
// recovered since (from the check transitions in the event log), one line
// per check, at most maxCauseLines. The likeliest cause comes first: the
// alert's own component (or a check named after it), then the checks that
// turned before the alert, latest first, then those that turned after it.
func (a *alertingState) causes(target string, started time.Time, window time.Duration) []string {
	from, to := started.Add(-window), started.Add(time.Minute)
	byName := map[string]cause{}
	failing := map[string]bool{}
	for _, r := range a.m.checks.Results() {
		if r.Status == checks.StatusPass || r.Stale || r.Since.IsZero() || r.Since.After(to) {
			continue
		}
		c := cause{name: r.Name, status: r.Status.String(), since: r.Since}
		if r.Err != nil {
			c.err = redact.Error(r.Err)
		}
		byName[r.Name] = c
		failing[r.Name] = true
	}
	// Failure episodes that ended within the window: a transition away
	// from pass, then one back to pass. The log is oldest first; an
	// episode with no opening event in it began long before and is
	// skipped.
	open := map[string]cause{}
	for _, e := range a.m.events.Query(eventQuery{Since: from.Add(-evidenceWindow)}) {
		if e.Kind != eventCheck && e.Kind != eventProbe || e.Attrs["to"] == "" {
			continue
		}
		name, toStatus := e.Component, e.Attrs["to"]
		if toStatus != checks.StatusPass.String() {
			if _, ok := open[name]; !ok {
				open[name] = cause{name: name, status: toStatus, since: e.Time, err: e.Attrs["error"]}
			}
			continue
		}
		c, ok := open[name]
		if !ok {
			continue
		}
		delete(open, name)
		if failing[name] || e.Time.Before(from) || c.since.After(to) {
			continue
		}
		c.recovered = e.Time
		byName[name] = c // the latest episode of a check wins
	}
	related := func(name string) bool {
		return target != "" && (name == target || strings.Contains(name, target) || strings.Contains(target, name))
	}
	list := slices.SortedFunc(maps.Values(byName), func(x, y cause) int {
		rx, ry := related(x.name), related(y.name)
		if rx != ry {
			if rx {
				return -1
			}
			return 1
		}
		bx, by := !x.since.After(started), !y.since.After(started)
		switch {
		case bx && !by:
			return -1
		case by && !bx:
			return 1
		case bx: // both before: the latest is the likeliest trigger
			return cmp.Or(y.since.Compare(x.since), cmp.Compare(x.name, y.name))
		}
		return cmp.Or(x.since.Compare(y.since), cmp.Compare(x.name, y.name))
	})
	var out []string
	for i, c := range list {
		if i == maxCauseLines {
			break
		}
		var line string
		if c.recovered.IsZero() {
			line = fmt.Sprintf("check %s turned %s %s (%s)", c.name, c.status, relative(c.since, started), c.since.UTC().Format(time.RFC3339))
		} else {
			line = fmt.Sprintf("check %s turned %s %s, recovered %s (%s to %s)", c.name, c.status, relative(c.since, started),
				relative(c.recovered, started), c.since.UTC().Format(time.RFC3339), c.recovered.UTC().Format(time.RFC3339))
		}
		if c.err != "" {
			line += ": " + c.err
		}
		out = append(out, line)
	}
	return out
}

// relative says when t was, seen from ref: "2m10s before", "5s after".
func relative(t, ref time.Time) string {
	switch d := ref.Sub(t).Round(time.Second); {
	case d > 0:
		return d.String() + " before"
	case d < 0:
		return (-d).String() + " after"
	}
	return "at the same time"
}

// shortDuration prints 1m instead of 1m0s and 1h instead of 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ruleWindows lists the windows a rule's alerts count their data over:
// one per burn-rate window of an SLO (its long window), none for threshold
// and check_state rules.
func ruleWindows(r alerting.Rule) []time.Duration {
	switch c := r.Condition.(type) {
	case *alerting.Ratio:
		return []time.Duration{c.Window}
	case *alerting.Quantile:
		return []time.Duration{c.Window}
	case *alerting.Absence:
		return []time.Duration{c.Window}
	case *alerting.SLO:
		var out []time.Duration
		for _, w := range sloWindows(c) {
			out = append(out, w.Long)
		}
		return out
	}
	return nil
}

func sloWindows(c *alerting.SLO) []alerting.BurnWindow {
	return alerthook.BurnWindows(c).([]alerting.BurnWindow)
}

// errorWindow is the window of the alert's rule (for an SLO, the long
// window of the alert's severity), else evidenceWindow.
func (a *alertingState) errorWindow(al alerting.Alert) time.Duration {
	r, ok := a.rules[al.Rule]
	if !ok {
		return evidenceWindow
	}
	if c, ok := r.Condition.(*alerting.SLO); ok {
		ws := sloWindows(c)
		for _, w := range ws {
			if w.Severity == al.Labels["severity"] {
				return w.Long
			}
		}
		return ws[0].Long
	}
	if ws := ruleWindows(r); len(ws) > 0 && ws[0] > 0 {
		return ws[0]
	}
	return evidenceWindow
}

// Silences returns the silence set, or nil when alerting is off.
func (m *Monitor) Silences() *dispatch.Silences {
	if m.alerting == nil {
		return nil
	}
	return m.alerting.silences
}

// AlertsHandler serves the alerts and silences as JSON, with the silences
// API behind the Monitor's authorizer.
func (m *Monitor) AlertsHandler() http.Handler {
	if m.alerting == nil {
		return http.NotFoundHandler()
	}
	// The dispatcher gives the API its silences and the Alertmanager API
	// v2 routes receivers, inhibition and groups.
	var opts []httpapi.Option
	if auth := m.cfg.authorizer; auth != nil {
		opts = append(opts, httpapi.WithAuthorizer(func(r *http.Request) error {
			if !auth(r) {
				return errors.New("not authorized")
			}
			return nil
		}))
	}
	h, err := httpapi.NewHandler(m.alerting.eval, m.alerting.disp, opts...)
	if err != nil {
		// Unreachable: the one option above is never nil. Fail closed
		// rather than serve without the authorizer.
		m.logger.Error("igmon: alerts handler", slog.String("error", err.Error()))
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "alerts handler misconfigured", http.StatusInternalServerError)
		})
	}
	return h
}

// dashboardAlerts converts the alerts of one engine cycle and the
// silences for the status page.
func (a *alertingState) dashboardAlerts(alerts []alerting.Alert, now time.Time, detailed bool) ([]dashboard.Alert, []dashboard.Silence) {
	var out []dashboard.Alert
	for _, al := range alerts {
		since := al.ActiveAt
		if al.State == alerting.StateFiring && !al.FiredAt.IsZero() {
			since = al.FiredAt
		}
		if al.State == alerting.StateResolved {
			since = al.ResolvedAt
		}
		da := dashboard.Alert{Name: al.Rule, State: al.State.String(), Severity: al.Labels["severity"], Since: since,
			Labels: al.Labels, Annotations: al.Annotations, Value: al.Value, ValueText: a.valueText(al)}
		da.Silenced = alerthook.Muted(a.silences, al.Labels, now)
		if detailed && al.State != alerting.StateResolved {
			da.Evidence = a.evidence(al)
		}
		out = append(out, da)
	}
	var sil []dashboard.Silence
	for _, s := range a.silences.List() {
		if active := !now.Before(s.StartsAt) && now.Before(s.EndsAt); !active && s.StartsAt.Before(now) {
			continue
		}
		ds := dashboard.Silence{ID: s.ID, Author: s.CreatedBy, Comment: s.Comment, StartsAt: s.StartsAt, EndsAt: s.EndsAt}
		for _, mt := range s.Matchers {
			ds.Matchers = append(ds.Matchers, dashboard.Matcher{Name: mt.Name, Op: mt.Type.String(), Value: mt.Value})
		}
		sil = append(sil, ds)
	}
	return out, sil
}

func (a *alertingState) silence(req dashboard.SilenceRequest) (string, error) {
	var ms alerting.Matchers
	for _, mt := range req.Matchers {
		t, ok := map[string]alerting.MatchType{"=": alerting.MatchEqual, "!=": alerting.MatchNotEqual, "=~": alerting.MatchRegexp, "!~": alerting.MatchNotRegexp}[mt.Op]
		if !ok {
			return "", fmt.Errorf("%w: matcher op %q", dashboard.ErrInvalid, mt.Op)
		}
		m, err := alerting.NewMatcher(t, mt.Name, mt.Value)
		if err != nil {
			return "", fmt.Errorf("%w: %v", dashboard.ErrInvalid, err)
		}
		ms = append(ms, m)
	}
	// The event is recorded by recordSilence, as for every other path.
	id, err := a.silences.Add(dispatch.Silence{Matchers: ms, StartsAt: req.StartsAt, EndsAt: req.EndsAt, CreatedBy: req.Author, Comment: req.Comment})
	if err != nil {
		return "", fmt.Errorf("%w: %v", dashboard.ErrInvalid, err)
	}
	return id, nil
}

func (a *alertingState) unsilence(id string) error {
	if err := a.silences.Expire(id, "dashboard"); err != nil {
		return fmt.Errorf("%w: %v", dashboard.ErrNotFound, err)
	}
	return nil
}

// recordSilence puts a silence change in the event log, whichever path
// made it. The author and the comment are for authorized viewers: they are
// attributes (by, created_by, reason), which the status page and
// EventsHandler withhold from the public, and the comment ends the
// message after ": " so that both can cut it off. The matchers stay in the
// message, as the public silence list shows them too.
func (a *alertingState) recordSilence(created bool, silence any, at time.Time) {
	s := silence.(dispatch.Silence)
	ms := make([]string, len(s.Matchers))
	for i, mt := range s.Matchers {
		ms[i] = mt.String()
	}
	e := timelineEvent{Time: at, Component: "alerting", Kind: eventSilence, Severity: severityInfo,
		Attrs: map[string]string{"silence_id": s.ID, "reason": s.Comment}}
	if created {
		e.Message = fmt.Sprintf("silence %s {%s} created until %s: %s", s.ID, strings.Join(ms, ", "), s.EndsAt.UTC().Format(time.RFC3339), s.Comment)
		e.Attrs["by"] = s.CreatedBy
	} else {
		e.Message = fmt.Sprintf("silence %s {%s} expired: %s", s.ID, strings.Join(ms, ", "), s.Comment)
		e.Attrs["by"] = s.ExpiredBy
		e.Attrs["created_by"] = s.CreatedBy
	}
	a.m.events.Record(e)
}
