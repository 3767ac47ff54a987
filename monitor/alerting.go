package monitor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
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
// cause of an alert.
const evidenceWindow = 10 * time.Minute

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
	if m.cfg.meterProvider != nil {
		// The in-process reader is only registered with the provider the
		// Monitor builds: on the user's provider these rules would never
		// see a number and never fire, silently.
		for _, r := range m.cfg.alertRules {
			if _, ok := r.Condition.(*alerting.CheckState); !ok {
				return fmt.Errorf("monitor: option WithAlerting: rule %q reads metrics, which the Monitor cannot read from a provider given with WithMeterProvider", r.Name)
			}
		}
	}
	a := &alertingState{m: m, prev: map[string]alerting.State{}}
	base := []alerting.Option{alerting.WithLogger(m.logger), alerting.WithMeterProvider(m.mp), alerting.WithDeliveryListener(m.recordDelivery)}
	disp, err := alerting.NewDispatcher(append(base, m.cfg.alertOpts...)...)
	if err != nil {
		return fmt.Errorf("monitor: option WithAlerting: %w", err)
	}
	a.disp, a.silences = disp, disp.Silences()
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

// evidence explains an alert: the value and rule, the components that
// started failing shortly before (earliest first: the likely cause), and
// the dependency's most frequent error types. Simple on purpose: a person
// must be able to check every line.
func (a *alertingState) evidence(al alerting.Alert, rm metricdata.ResourceMetrics) []string {
	var ev []string
	started := al.ActiveAt
	if started.IsZero() {
		started = time.Now()
	}
	ev = append(ev, fmt.Sprintf("%s = %.4g since %s", al.Rule, al.Value, started.UTC().Format(time.RFC3339)))
	target := alertComponent(al)
	type failing struct {
		name  string
		since time.Time
		res   checks.Result
	}
	var fs []failing
	for _, r := range a.m.checks.Results() {
		if r.Status == checks.StatusPass || r.Since.IsZero() {
			continue
		}
		if started.Sub(r.Since) > evidenceWindow || r.Since.Sub(started) > time.Minute {
			continue
		}
		fs = append(fs, failing{r.Name, r.Since, r})
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].since.Before(fs[j].since) })
	for i, f := range fs {
		if i == 5 {
			break
		}
		when := "at the same time"
		if d := started.Sub(f.since).Round(time.Second); d > 0 {
			when = d.String() + " before"
		} else if d < 0 {
			when = (-d).String() + " after"
		}
		line := fmt.Sprintf("check %s turned %s %s (%s)", f.name, f.res.Status, when, f.since.UTC().Format(time.RFC3339))
		if f.res.Err != nil {
			line += ": " + redact.Error(f.res.Err)
		}
		ev = append(ev, line)
	}
	if types := topErrorTypes(rm, target, 3); len(types) > 0 {
		ev = append(ev, "top error types of "+target+": "+strings.Join(types, ", "))
	}
	return ev
}

// topErrorTypes reads igmon.dependency.calls and lists the most frequent
// error.type values of the dependency named name.
func topErrorTypes(rm metricdata.ResourceMetrics, name string, n int) []string {
	counts := map[string]float64{}
	eachPoint(rm, "igmon.dependency.calls", func(s attribute.Set, v float64) {
		dep, _ := s.Value("igmon.dependency.name")
		et, ok := s.Value("error.type")
		if dep.AsString() == name && ok && et.AsString() != "" {
			counts[et.AsString()] += v
		}
	})
	type kv struct {
		k string
		v float64
	}
	var list []kv
	for k, v := range counts {
		list = append(list, kv{k, v})
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
	var opts []alerting.HandlerOption
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
	id, err := a.silences.Add(alerting.Silence{Matchers: ms, StartsAt: req.StartsAt, EndsAt: req.EndsAt, CreatedBy: req.Author, Comment: req.Comment})
	if err != nil {
		return "", fmt.Errorf("%w: %v", dashboard.ErrInvalid, err)
	}
	// Author and comment are for authorized viewers: attributes, which the
	// status page withholds from the public (see publicEvent).
	a.m.events.Record(Event{Component: "alerting", Kind: EventSilence, Severity: SeverityInfo,
		Message: fmt.Sprintf("silence %s created until %s: %s", id, req.EndsAt.UTC().Format(time.RFC3339), req.Comment),
		Attrs:   map[string]string{"by": req.Author, "reason": req.Comment}})
	return id, nil
}

func (a *alertingState) unsilence(id string) error {
	if err := a.silences.Expire(id, "dashboard"); err != nil {
		return fmt.Errorf("%w: %v", dashboard.ErrNotFound, err)
	}
	a.m.events.Record(Event{Component: "alerting", Kind: EventSilence, Severity: SeverityInfo, Message: "silence " + id + " expired from the dashboard"})
	return nil
}
