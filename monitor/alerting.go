package monitor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/redact"
	"github.com/jackcode/igmon/monitor/dashboard"
)

// AnnotationEvidence is the annotation a firing alert's diagnostics go in.
const AnnotationEvidence = "evidence"

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
func WithAlerting(rules []alerting.Rule, opts ...alerting.Option) Option {
	return optionFunc(func(c *config) {
		if err := alerting.ValidateRules(rules); err != nil {
			c.fail("WithAlerting", "%v", err)
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
	disp     *alerting.Dispatcher
	silences *alerting.Silences

	// last is what the evaluator collected in its current cycle: the
	// evidence is read from the same numbers the rules saw.
	last atomic.Pointer[metricdata.ResourceMetrics]

	// now is the evaluator's clock. The alerting options that carry a
	// test's fake clock are opaque to this package, so tests of this
	// package set it to the same fake clock.
	now func() time.Time
	// rules by name, for the window of an alert's rule.
	rules map[string]alerting.Rule
	// errs holds recent totals of dependency calls by error type, so that
	// the evidence counts the alert's window, not the process lifetime.
	errs *errorHistory

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

func (s checkSource) CheckNames() []string { return s.r.Names() }

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
	a.errs = newErrorHistory(windows)
	base := []alerting.Option{alerting.WithLogger(m.logger), alerting.WithMeterProvider(m.mp), alerting.WithDeliveryListener(m.recordDelivery)}
	disp, err := alerting.NewDispatcher(append(base, m.cfg.alertOpts...)...)
	if err != nil {
		return fmt.Errorf("monitor: option WithAlerting: %w", err)
	}
	a.disp, a.silences = disp, disp.Silences()
	// One hook for every way a silence changes (Go code, the alerting
	// HTTP API, the dashboard): the audit trail cannot miss a path.
	a.silences.Subscribe(a.recordSilence)
	src := alerting.MetricSourceFunc(func(ctx context.Context, rm *metricdata.ResourceMetrics) error {
		got, err := m.tel.inproc.Collect(ctx)
		if err != nil {
			a.last.Store(nil)
			return err
		}
		*rm = got
		a.last.Store(&got)
		return nil
	})
	eopts := append(base, alerting.WithMetricSource(src), alerting.WithCheckSource(checkSource{m.checks}), alerting.WithSink(a))
	a.eval, err = alerting.NewEvaluator(m.cfg.alertRules, append(eopts, m.cfg.alertOpts...)...)
	if err != nil {
		_ = disp.Close()
		return fmt.Errorf("monitor: option WithAlerting: %w", err)
	}
	// The evidence windows follow the evaluator's clock (alerting.WithClock).
	a.now = a.eval.Now
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
	rm := a.last.Load()
	if rm == nil {
		rm = &metricdata.ResourceMetrics{}
	} else {
		// Receive runs once per evaluation cycle, alerts or not: the
		// snapshot cadence of the error-type windows.
		a.errs.recordFrom(a.now(), *rm)
	}
	for i, al := range alerts {
		if al.State == alerting.StateFiring || al.State == alerting.StatePending {
			al.Annotations = maps.Clone(al.Annotations)
			if al.Annotations == nil {
				al.Annotations = map[string]string{}
			}
			if ev := a.evidence(al, *rm); len(ev) > 0 {
				al.Annotations[AnnotationEvidence] = strings.Join(ev, "\n")
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
		sev := SeverityInfo
		switch {
		case al.State == alerting.StateFiring && al.Labels["severity"] == "critical", al.State == alerting.StateFiring && al.Labels["severity"] == "page":
			sev = SeverityCritical
		case al.State == alerting.StateFiring, al.State == alerting.StatePending:
			sev = SeverityWarning
		}
		msg := fmt.Sprintf("alert %s %s (value %.4g)", al.Rule, al.State, al.Value)
		if s := al.Annotations["summary"]; s != "" {
			msg += ": " + s
		}
		attrs := map[string]string{"fingerprint": al.Fingerprint}
		if ev := al.Annotations[AnnotationEvidence]; ev != "" {
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
		a.m.events.Record(Event{Time: at, Component: alertComponent(al), Kind: EventAlert, Severity: sev, Message: msg, Attrs: attrs})
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
func (a *alertingState) evidence(al alerting.Alert, rm metricdata.ResourceMetrics) []string {
	var ev []string
	now := a.now()
	started := al.ActiveAt
	if started.IsZero() {
		started = now
	}
	ev = append(ev, fmt.Sprintf("%s = %.4g since %s", al.Rule, al.Value, started.UTC().Format(time.RFC3339)))
	ev = append(ev, a.causes(started)...)
	target := alertComponent(al)
	window := a.errorWindow(al)
	if types := a.topErrorTypes(rm, target, window, now, 3); len(types) > 0 {
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

// causes lists the checks that turned non-pass from evidenceWindow before
// started to a minute after it: those still non-passing (from the
// registry) and those that have recovered since (from the check
// transitions in the event log), one line per check, earliest first, at
// most maxCauseLines.
func (a *alertingState) causes(started time.Time) []string {
	from, to := started.Add(-evidenceWindow), started.Add(time.Minute)
	in := func(t time.Time) bool { return !t.Before(from) && !t.After(to) }
	byName := map[string]cause{}
	failing := map[string]bool{}
	for _, r := range a.m.checks.Results() {
		if r.Status == checks.StatusPass || r.Since.IsZero() || !in(r.Since) {
			continue
		}
		c := cause{name: r.Name, status: r.Status.String(), since: r.Since}
		if r.Err != nil {
			c.err = redact.Error(r.Err)
		}
		byName[r.Name] = c
		failing[r.Name] = true
	}
	// Failure episodes that ended: a transition away from pass, then one
	// back to pass. The log is oldest first; an episode that began before
	// the query's start has no opening event and is skipped, as it began
	// outside the window.
	open := map[string]cause{}
	for _, e := range a.m.events.Query(EventQuery{Since: from}) {
		if e.Kind != EventCheck && e.Kind != EventProbe || e.Attrs["to"] == "" {
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
		if failing[name] || !in(c.since) {
			continue
		}
		c.recovered = e.Time
		byName[name] = c // the latest episode of a check wins
	}
	list := slices.SortedFunc(maps.Values(byName), func(x, y cause) int {
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
	if len(c.Windows) == 0 {
		return alerting.DefaultBurnWindows
	}
	return c.Windows
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

// topErrorTypes lists the most frequent error.type values of the
// dependency named name over the window before now: the increase of its
// igmon.dependency.calls series since the recorded snapshot at or before
// now-window.
func (a *alertingState) topErrorTypes(rm metricdata.ResourceMetrics, name string, window time.Duration, now time.Time, n int) []string {
	totals := map[string]float64{}
	eachPoint(rm, "igmon.dependency.calls", func(s attribute.Set, v float64) {
		dep, _ := s.Value(AttrDependencyName)
		et, ok := s.Value("error.type")
		if dep.AsString() == name && ok && et.AsString() != "" {
			totals[et.AsString()] += v
		}
	})
	type kv struct {
		k string
		v float64
	}
	var list []kv
	for k, total := range totals {
		if v := a.errs.increase(window, now, errorKey{name, k}, total); v > 0 {
			list = append(list, kv{k, v})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v || list[i].v == list[j].v && list[i].k < list[j].k })
	var out []string
	for i, e := range list {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("%s (%.0f)", e.k, e.v))
	}
	return out
}

// errorKey is one (dependency, error.type) pair of igmon.dependency.calls.
type errorKey struct{ dep, errType string }

// dependencyErrorTotals sums igmon.dependency.calls by dependency and
// error type (calls without an error type are not errors).
func dependencyErrorTotals(rm metricdata.ResourceMetrics) map[errorKey]float64 {
	out := map[errorKey]float64{}
	addErrorTotals(out, rm)
	return out
}

func addErrorTotals(out map[errorKey]float64, rm metricdata.ResourceMetrics) {
	eachPoint(rm, "igmon.dependency.calls", func(s attribute.Set, v float64) {
		et, ok := s.Value("error.type")
		if !ok || et.AsString() == "" {
			return
		}
		dep, _ := s.Value(AttrDependencyName)
		out[errorKey{dep.AsString(), et.AsString()}] += v
	})
}

const (
	// historySlots is how many snapshots a window keeps.
	historySlots = 10
	// historySteps is how many snapshot spacings a window spans: the
	// snapshot the increase is counted from is at most window/historySteps
	// (or one evaluation interval, if longer) older than the window's
	// start.
	historySteps = 8
)

// errorHistory keeps, per evidence window, a ring of cumulative error
// totals taken at evaluations. Memory is bounded: windows are those of the
// rules, slots are fixed, and keys are the (dependency, error.type) pairs
// of the latest collection, which igmon.dependency.calls' cardinality
// limit bounds.
type errorHistory struct {
	mu      sync.Mutex
	rings   map[time.Duration]*totalsRing
	scratch map[errorKey]float64 // the totals of a cycle, reused
}

// totalsRing holds snapshots spaced at least spacing apart.
type totalsRing struct {
	spacing time.Duration
	times   [historySlots]time.Time
	head, n int
	vals    map[errorKey]*[historySlots]float64 // slots aligned with times
}

func newErrorHistory(windows []time.Duration) *errorHistory {
	h := &errorHistory{rings: map[time.Duration]*totalsRing{}}
	for _, w := range windows {
		if w > 0 && h.rings[w] == nil {
			h.rings[w] = &totalsRing{spacing: w / historySteps, vals: map[errorKey]*[historySlots]float64{}}
		}
	}
	return h
}

// recordFrom records the error totals of the collection rm taken at now.
func (h *errorHistory) recordFrom(now time.Time, rm metricdata.ResourceMetrics) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.scratch == nil {
		h.scratch = map[errorKey]float64{}
	}
	clear(h.scratch)
	addErrorTotals(h.scratch, rm)
	for _, r := range h.rings {
		r.record(now, h.scratch)
	}
}

// record stores totals as the snapshot at now in every ring whose newest
// snapshot is at least its spacing old.
func (h *errorHistory) record(now time.Time, totals map[errorKey]float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.rings {
		r.record(now, totals)
	}
}

func (r *totalsRing) record(now time.Time, totals map[errorKey]float64) {
	if r.n > 0 && now.Sub(r.times[(r.head+r.n-1)%historySlots]) < r.spacing {
		return
	}
	slot := (r.head + r.n) % historySlots
	if r.n < historySlots {
		r.n++
	} else {
		r.head = (r.head + 1) % historySlots
	}
	r.times[slot] = now
	for k, v := range totals {
		vs := r.vals[k]
		if vs == nil {
			// A pair first seen now counted 0 in the older snapshots.
			vs = new([historySlots]float64)
			r.vals[k] = vs
		}
		vs[slot] = v
	}
	for k := range r.vals {
		if _, ok := totals[k]; !ok {
			delete(r.vals, k)
		}
	}
}

// increase returns how much key's total grew over window before now, with
// current as its value now: from the newest snapshot at or before
// now-window (zero when the history is younger than the window: the
// counters started within it), through the later snapshots, to current.
// A total smaller than the one before means the counter restarted: the new
// total is what was counted since.
func (h *errorHistory) increase(window time.Duration, now time.Time, key errorKey, current float64) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rings[window]
	if r == nil {
		return current
	}
	vs := r.vals[key]
	val := func(slot int) float64 {
		if vs == nil {
			return 0
		}
		return vs[slot]
	}
	cutoff := now.Add(-window)
	first := 0 // index (from the oldest) of the first snapshot after the base
	prev := 0.0
	for i := 0; i < r.n; i++ {
		slot := (r.head + i) % historySlots
		if r.times[slot].After(cutoff) {
			break
		}
		first, prev = i+1, val(slot)
	}
	var sum float64
	step := func(v float64) {
		if v >= prev {
			sum += v - prev
		} else {
			sum += v
		}
		prev = v
	}
	for i := first; i < r.n; i++ {
		slot := (r.head + i) % historySlots
		if r.times[slot].After(now) {
			break
		}
		step(val(slot))
	}
	step(current)
	return sum
}

// Alerts returns the alerts the evaluator holds (pending, firing, recently
// resolved), or nil when alerting is off.
func (m *Monitor) Alerts() []alerting.Alert {
	if m.alerting == nil {
		return nil
	}
	return m.alerting.eval.Alerts()
}

// Silences returns the silence set, or nil when alerting is off.
func (m *Monitor) Silences() *alerting.Silences {
	if m.alerting == nil {
		return nil
	}
	return m.alerting.silences
}

// EvaluateAlerts runs one evaluation cycle now (tests, or a manual refresh).
func (m *Monitor) EvaluateAlerts(ctx context.Context) error {
	if m.alerting == nil {
		return errors.New("monitor: alerting is not enabled")
	}
	return m.alerting.eval.Evaluate(ctx)
}

// AlertsHandler serves the alerts and silences as JSON, with the silences
// API behind the Monitor's authorizer.
func (m *Monitor) AlertsHandler() http.Handler {
	if m.alerting == nil {
		return http.NotFoundHandler()
	}
	// The dispatcher gives the Alertmanager API v2 routes receivers,
	// inhibition and groups.
	opts := []alerting.HandlerOption{alerting.WithDispatcher(m.alerting.disp)}
	if auth := m.cfg.authorizer; auth != nil {
		opts = append(opts, alerting.WithAuthorizer(func(r *http.Request) error {
			if !auth(r) {
				return errors.New("not authorized")
			}
			return nil
		}))
	}
	return alerting.NewHandler(m.alerting.eval, m.alerting.silences, opts...)
}

// dashboardAlerts converts alerts and silences for the status page; rm is
// the snapshot's collection, read for the evidence of detailed views.
func (a *alertingState) dashboardAlerts(now time.Time, detailed bool, rm metricdata.ResourceMetrics) ([]dashboard.Alert, []dashboard.Silence) {
	var out []dashboard.Alert
	for _, al := range a.eval.Alerts() {
		since := al.ActiveAt
		if al.State == alerting.StateFiring && !al.FiredAt.IsZero() {
			since = al.FiredAt
		}
		if al.State == alerting.StateResolved {
			since = al.ResolvedAt
		}
		da := dashboard.Alert{Name: al.Rule, State: al.State.String(), Severity: al.Labels["severity"], Since: since,
			Labels: al.Labels, Annotations: al.Annotations, Value: al.Value}
		_, da.Silenced = a.silences.Mutes(al.Labels, now)
		if detailed && al.State != alerting.StateResolved {
			da.Evidence = a.evidence(al, rm)
		}
		out = append(out, da)
	}
	var sil []dashboard.Silence
	for _, s := range a.silences.List() {
		if !s.Active(now) && s.StartsAt.Before(now) {
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
	id, err := a.silences.Add(alerting.Silence{Matchers: ms, StartsAt: req.StartsAt, EndsAt: req.EndsAt, CreatedBy: req.Author, Comment: req.Comment})
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
func (a *alertingState) recordSilence(c alerting.SilenceChange) {
	s := c.Silence
	ms := make([]string, len(s.Matchers))
	for i, mt := range s.Matchers {
		ms[i] = mt.String()
	}
	e := Event{Time: c.Time, Component: "alerting", Kind: EventSilence, Severity: SeverityInfo,
		Attrs: map[string]string{"silence_id": s.ID, "reason": s.Comment}}
	switch c.Kind {
	case alerting.SilenceCreated:
		e.Message = fmt.Sprintf("silence %s {%s} created until %s: %s", s.ID, strings.Join(ms, ", "), s.EndsAt.UTC().Format(time.RFC3339), s.Comment)
		e.Attrs["by"] = s.CreatedBy
	case alerting.SilenceExpired:
		e.Message = fmt.Sprintf("silence %s {%s} expired: %s", s.ID, strings.Join(ms, ", "), s.Comment)
		e.Attrs["by"] = s.ExpiredBy
		e.Attrs["created_by"] = s.CreatedBy
	default:
		return
	}
	a.m.events.Record(e)
}
