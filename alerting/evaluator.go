package alerting

import (
	"errors"

	"github.com/jackcode/igmon/internal/series"

	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"text/template"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// Sink receives the firing and resolved alerts after every evaluation. It
// must not block: the Dispatcher only records them under a short lock.
type Sink interface {
	Receive(alerts []Alert)
}

// Evaluator evaluates a rule set against in-process metrics and check
// states. Evaluate runs one cycle; Start runs cycles every interval until
// Stop.
type Evaluator struct {
	cfg    *config
	rules  []*ruleState
	eng    *series.Engine
	shared bool // eng belongs to whoever passed it as the metric source
	inst   *evalInstruments

	snap    atomic.Pointer[[]Alert]
	started atomic.Bool
}

type result struct {
	active bool
	data   bool
	value  float64
}

type ruleState struct {
	rule      Rule
	index     int
	by        []attribute.Key
	grp       *series.Grouping // shared with rules of the same By, except CheckState
	sels      []*series.Selection
	variants  []string // SLO severities; one unnamed variant otherwise
	results   []result
	instances []*instance
	tmplKeys  []string
	tmpls     []*template.Template
	window    time.Duration
	threshold float64
	eval      func(now int64, e *Evaluator)
	resource  map[string]string // WithResource, shared
	seq       uint64            // store collection the cycle reads
	err       error             // first selection error while compiling

	// scratch, reused across cycles
	a, b    []float64
	na, nb  []int
	full    []bool
	full2   []bool
	hists   []*series.Hist
	point   []float64
	slo     [][]float64 // per distinct window: burn per group
	sloWins []time.Duration
	tb      strings.Builder
	tdata   templateData
}

// NewEvaluator validates rules and returns an evaluator for them.
func NewEvaluator(rules []Rule, opts ...EvaluatorOption) (*Evaluator, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if err := ValidateRules(rules); err != nil {
		return nil, err
	}
	e := &Evaluator{cfg: cfg}
	if eng, ok := cfg.metrics.(*series.Engine); ok {
		// The Monitor's engine: the dashboard and the component status
		// read the same series, collected once per cycle.
		e.eng, e.shared = eng, true
	} else {
		e.eng = series.NewEngine(cfg.metrics, cfg.ringCap, cfg.maxSeries, cfg.Clock.Now)
	}
	err = e.eng.Register(func(st *series.Store) error {
		for i := range rules {
			r, err := e.compile(st, i, rules[i])
			if err != nil {
				return err
			}
			e.rules = append(e.rules, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cfg.metrics == nil && e.needsMetrics() {
		return nil, fmt.Errorf("%w: WithMetricSource: rules read metrics but no source is set", ErrInvalidOption)
	}
	if e.inst, err = newEvalInstruments(cfg.MeterProvider, e); err != nil {
		return nil, fmt.Errorf("alerting: metrics: %w", err)
	}
	empty := []Alert{}
	e.snap.Store(&empty)
	e.eng.OnCycle(e.cycle)
	return e, nil
}

func (e *Evaluator) needsMetrics() bool {
	for _, r := range e.rules {
		if len(r.sels) > 0 {
			return true
		}
	}
	return false
}

// selectors registers what a rule reads with the store.
func (r *ruleState) selectors(st *series.Store, sels []Selector, windows ...time.Duration) {
	for _, sel := range sels {
		s, err := st.Select(sel.Metric, sel.String(), sel.Matchers, r.grp, windows...)
		if err != nil && r.err == nil {
			r.err = &fieldError{Rule: r.rule.Name, Field: "selector", Msg: err.Error()}
		}
		r.sels = append(r.sels, s)
	}
}

func (e *Evaluator) compile(st *series.Store, i int, rule Rule) (*ruleState, error) {
	rule.Labels = maps.Clone(rule.Labels)
	rule.By = slices.Clone(rule.By)
	r := &ruleState{rule: rule, index: i, resource: e.cfg.Resource}
	for _, k := range rule.By {
		r.by = append(r.by, attribute.Key(k))
	}
	if _, ok := rule.Condition.(*CheckState); ok {
		r.grp = series.NewGrouping(r.by)
	} else {
		r.grp = st.Grouping(r.by)
	}
	r.tmplKeys = slices.Sorted(maps.Keys(rule.Annotations))
	for _, k := range r.tmplKeys {
		t, err := parseTemplate(rule.Name+"/"+k, rule.Annotations[k])
		if err != nil {
			return nil, &fieldError{Rule: rule.Name, Field: "annotations." + k, Msg: err.Error()}
		}
		r.tmpls = append(r.tmpls, t)
	}
	switch c := rule.Condition.(type) {
	case *Threshold:
		r.threshold = c.Value
		r.selectors(st, []Selector{c.Metric})
		if c.Of != nil {
			r.selectors(st, []Selector{*c.Of})
		}
		cc := *c
		r.eval = func(int64, *Evaluator) { r.evalThreshold(&cc, r.seq) }
	case *Ratio:
		r.threshold, r.window = c.Value, c.Window
		r.selectors(st, []Selector{c.Numerator, c.Denominator}, c.Window)
		cc := *c
		r.eval = func(int64, *Evaluator) { r.evalRatio(&cc) }
	case *Quantile:
		r.threshold, r.window = c.Value, c.Window
		r.selectors(st, []Selector{c.Histogram}, c.Window)
		cc := *c
		r.eval = func(int64, *Evaluator) { r.evalQuantile(&cc) }
	case *Absence:
		r.window = c.Window
		r.selectors(st, []Selector{c.Success, c.Requests}, c.Window)
		cc := *c
		r.eval = func(int64, *Evaluator) { r.evalAbsence(&cc) }
	case *CheckState:
		cc := *c
		cc.Checks = slices.Clone(c.Checks)
		if len(cc.States) == 0 {
			cc.States = []string{"fail"}
		}
		r.window = c.For
		if e.cfg.checks == nil {
			return nil, fmt.Errorf("%w: WithCheckSource: rule %q reads check states but no source is set", ErrInvalidOption, rule.Name)
		}
		for _, name := range cc.Checks {
			r.checkGroup(name)
		}
		r.eval = func(now int64, e *Evaluator) { r.evalCheck(&cc, e.cfg.checks, now) }
	case *SLO:
		cc := *c
		cc.Windows = slices.Clone(c.windows())
		for _, w := range cc.Windows {
			for _, d := range []time.Duration{w.Long, w.Short} {
				if !slices.Contains(r.sloWins, d) {
					r.sloWins = append(r.sloWins, d)
				}
			}
			if !slices.Contains(r.variants, w.Severity) {
				r.variants = append(r.variants, w.Severity)
			}
		}
		r.threshold = cc.Objective
		r.window = cc.Windows[0].Long
		r.selectors(st, []Selector{c.Total}, r.sloWins...)
		if c.Errors != nil {
			r.selectors(st, []Selector{*c.Errors}, r.sloWins...)
		}
		r.slo = make([][]float64, len(r.sloWins))
		r.eval = func(int64, *Evaluator) { r.evalSLO(&cc) }
	default:
		return nil, &fieldError{Rule: rule.Name, Field: "kind", Msg: fmt.Sprintf("unsupported condition %T", c)}
	}
	if r.err != nil {
		return nil, r.err
	}
	return r, nil
}

// checkGroup returns the group of a health check (CheckState rules, whose
// groupings are their own).
func (r *ruleState) checkGroup(name string) int32 {
	if g, ok := r.grp.Index(name); ok {
		return g
	}
	return r.grp.Add(name, Labels{"igmon.check.name": name})
}

func (r *ruleState) nvariants() int { return max(1, len(r.variants)) }

// Evaluate runs one evaluation cycle at the clock's current time: one
// cycle of the series engine, which also refreshes every other reader of a
// shared engine.
func (e *Evaluator) Evaluate(ctx context.Context) error {
	if err := e.eng.Cycle(ctx); err != nil {
		return fmt.Errorf("alerting: collect metrics: %w", err)
	}
	return nil
}

// cycle evaluates the rules on one engine cycle.
func (e *Evaluator) cycle(c *series.Cycle) {
	now := c.Now
	nowNs := now.UnixNano()
	var out []Alert
	for _, r := range e.rules {
		r.seq = c.Seq
		r.eval(nowNs, e)
		e.advance(r, now)
		for _, in := range r.instances {
			if in != nil && in.state != StateInactive {
				out = append(out, r.alert(in))
			}
		}
	}
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	e.snap.Store(&out)
	e.inst.setCounts(e, c.Store)
	e.inst.recordCycle(context.Background(), time.Since(c.Started), c.Store.Tracked())
	if e.cfg.sink != nil {
		send := make([]Alert, 0, len(out))
		for _, a := range out {
			if a.State == StateFiring || a.State == StateResolved {
				send = append(send, a)
			}
		}
		e.cfg.sink.Receive(send)
	}
	if c.Err != nil {
		e.cfg.Logger.Warn("alert evaluation incomplete", slog.String("error", "alerting: collect metrics: "+c.Err.Error()))
	}
}

func (e *Evaluator) advance(r *ruleState, now time.Time) {
	nv := r.nvariants()
	need := r.grp.Len() * nv
	if len(r.instances) < need {
		r.instances = append(r.instances, make([]*instance, need-len(r.instances))...)
	}
	data := &r.tdata
	*data = templateData{Rule: r.rule.Name, Threshold: r.threshold, Window: r.window}
	for i := range r.instances {
		var res result
		if i < len(r.results) {
			res = r.results[i]
		}
		in := r.instances[i]
		if in == nil {
			if !res.active {
				continue
			}
			in = r.newInstance(i)
			r.instances[i] = in
		}
		if in.held(now, res.active) {
			continue
		}
		changed := in.step(now, res.active, &r.rule, e.cfg.resolvedRetain)
		if res.data {
			in.value = res.value
		}
		if in.state == StateInactive {
			r.instances[i] = nil
			continue
		}
		if changed || in.state != StateResolved {
			data.Value, data.Labels, data.State = in.value, in.labels, in.state.String()
			if in.annotations == nil && len(r.tmpls) > 0 {
				in.annotations = make(map[string]string, len(r.tmpls))
			}
			for k, t := range r.tmpls {
				in.annotations[r.tmplKeys[k]] = render(t, data, &r.tb)
			}
		}
	}
}

func (r *ruleState) newInstance(i int) *instance {
	nv := r.nvariants()
	l := make(Labels, len(r.rule.Labels)+len(r.by)+2)
	maps.Copy(l, r.rule.Labels)
	maps.Copy(l, r.grp.Labels(i/nv))
	for _, k := range r.by {
		// A key the series lack may be a resource attribute (host.name).
		if _, ok := l[string(k)]; !ok {
			if v := r.resource[string(k)]; v != "" {
				l[string(k)] = v
			}
		}
	}
	if r.rule.PerInstance {
		if v := r.resource["service.instance.id"]; v != "" {
			l[labelInstance] = v
		}
	}
	if len(r.variants) > 0 {
		l["severity"] = r.variants[i%nv]
	}
	l[LabelAlertName] = r.rule.Name
	return &instance{labels: l, fingerprint: l.Fingerprint()}
}

func (r *ruleState) alert(in *instance) Alert {
	return Alert{
		Rule:        r.rule.Name,
		Fingerprint: in.fingerprint,
		Labels:      in.labels,
		Annotations: maps.Clone(in.annotations),
		State:       in.state,
		Value:       in.value,
		ActiveAt:    in.activeAt,
		FiredAt:     in.firedAt,
		ResolvedAt:  in.resolvedAt,
		Flapping:    in.flapping,
	}
}

// Alerts returns the pending, firing and recently resolved alerts of the
// last cycle, sorted by rule and fingerprint. The slice is shared: do not
// modify it.
func (e *Evaluator) Alerts() []Alert { return *e.snap.Load() }

// now returns the time on the evaluator's clock (withClock), so that code
// reasoning about its alerts' windows uses the same time.
func (e *Evaluator) now() time.Time { return e.cfg.Clock.Now() }

// Start runs Evaluate every interval (WithInterval) in a goroutine until
// Stop. On an engine shared through WithMetricSource it runs the engine's
// cycles at that interval or the engine's shorter one.
func (e *Evaluator) Start() error {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("alerting: evaluator already started")
	}
	return e.eng.Start(e.cfg.interval)
}

// Stop ends the loop started by Start and waits for it.
func (e *Evaluator) Stop() {
	if e.started.CompareAndSwap(true, false) {
		e.eng.Stop()
	}
}
