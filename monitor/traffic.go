package monitor

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/instrumenthook"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/internal/series"
)

// Defaults of the live-traffic status.
const (
	// defaultStatusWindow is the window a component's live traffic is
	// judged over: short, so that a failure shows within seconds and a
	// recovery within the window, where a 5-minute window kept a card red
	// for 5 minutes after the fix.
	defaultStatusWindow = 30 * time.Second
	// defaultStatusInterval is how often the series engine collects and
	// every reader of it (status, alert rules, evidence) runs.
	defaultStatusInterval = 5 * time.Second
	// historyPoints is how many cycles of figures each component keeps for
	// its sparklines.
	historyPoints = 60
)

// The selectors the live status reads. They are written as alert rules
// write them, so that a rule over the same selector, split by the same
// labels and over the same window shares the read: the card and the alert
// show the same number because it is the same number.
const (
	// selectorDependencyCalls is every dependency call, by outcome.
	selectorDependencyCalls = igsemconv.MetricDependencyCalls
	// selectorDependencyLatency is the latency of calls that say something
	// about the provider (canceled ones do not).
	selectorDependencyLatency = igsemconv.MetricDependencyDuration + `{` + igsemconv.AttrDependencyOutcome + `!="canceled"}`
	// selectorRoutes is every inbound request, selectorRouteErrors the
	// ones that carry an error.type.
	selectorRoutes      = igsemconv.MetricHTTPServerDuration
	selectorRouteErrors = igsemconv.MetricHTTPServerDuration + `{error.type!=""}`
	// selectorProbes is every synthetic probe run, selectorProbeFailures
	// the failed ones.
	selectorProbes        = igsemconv.MetricProbeDuration
	selectorProbeFailures = igsemconv.MetricProbeDuration + `{` + igsemconv.AttrFailureReason + `!=""}`
)

// byDependency and byRoute are the groupings of the status selectors.
var (
	byDependency = []attribute.Key{igsemconv.AttrDependencyKind, igsemconv.AttrDependencyName}
	byOutcome    = []attribute.Key{igsemconv.AttrDependencyKind, igsemconv.AttrDependencyName, igsemconv.AttrDependencyOutcome}
	byRoute      = []attribute.Key{igsemconv.AttrHTTPMethod, igsemconv.AttrHTTPRoute}
	byProbe      = []attribute.Key{igsemconv.AttrProbeName}
)

// figures are one component's traffic over the status window, as the
// engine computed them in one cycle. Latencies are in seconds, NaN when
// nothing was measured.
type figures struct {
	calls    float64                                         // every call but canceled ones
	failures float64                                         // errors and timeouts (dependencies), error.type (routes)
	outcomes [len(instrumenthook.Figures{}.Outcomes)]float64 // by instrument.Outcome
	p50      float64
	p95      float64
	p99      float64
	full     bool // the series covered the whole window
}

func (f *figures) errorRatio() float64 {
	if f.calls <= 0 {
		return math.NaN()
	}
	return f.failures / f.calls
}

// point is one cycle's figures of a component, for its sparklines.
type point struct {
	at       time.Time
	p95      float64
	errRatio float64
}

// trafficSnap is what one cycle computed, published whole so that readers
// on any goroutine see one consistent cycle.
type trafficSnap struct {
	at     time.Time
	window time.Duration
	deps   map[depKey]figures
	routes map[string]figures // "GET /api/x"
	probes map[string]figures // by probe name
	// byID holds the same figures by the page's component ID.
	byID map[string]figures
	// alerts are the evaluator's alerts of the same cycle (the traffic
	// reader runs after the rules), so a page built from one snapshot
	// shows a card and an alert computed from the same read.
	alerts []alerting.Alert
}

type depKey struct{ kind, name string }

// traffic is the engine reader behind dependency figures, passive health,
// route cards and sparklines.
type traffic struct {
	window                        time.Duration
	calls, lat, routes, routeErrs *series.Selection
	probes, probeFails            *series.Selection
	alerts                        func() []alerting.Alert // the evaluator's, when alerting is on
	cur                           atomic.Pointer[trafficSnap]

	mu      sync.Mutex // guards history
	history map[string][]point

	// hists are this cycle's latency histograms by component ID, owned by
	// the engine's selections: read only inside the cycle (the history
	// reader sums them).
	hists map[string]*series.Hist
}

// selector parses one of the constant selectors above.
func selector(s string) alerting.Selector {
	sel, err := alerting.ParseSelector(s)
	if err != nil {
		panic(fmt.Sprintf("monitor: selector %s: %v", s, err)) // constants: a test covers them
	}
	return sel
}

func selectOn(st *series.Store, s string, by []attribute.Key, windows ...time.Duration) (*series.Selection, error) {
	sel := selector(s)
	return st.Select(sel.Metric, sel.String(), sel.Matchers, st.Grouping(by), windows...)
}

// newTraffic registers the status selections with the engine and reads
// every cycle.
func newTraffic(eng *series.Engine, window time.Duration) (*traffic, error) {
	t := &traffic{window: window, history: map[string][]point{}, hists: map[string]*series.Hist{}}
	err := eng.Register(func(st *series.Store) error {
		var err error
		if t.calls, err = selectOn(st, selectorDependencyCalls, byOutcome, window); err != nil {
			return err
		}
		if t.lat, err = selectOn(st, selectorDependencyLatency, byDependency, window); err != nil {
			return err
		}
		if t.routes, err = selectOn(st, selectorRoutes, byRoute, window); err != nil {
			return err
		}
		if t.routeErrs, err = selectOn(st, selectorRouteErrors, byRoute, window); err != nil {
			return err
		}
		if t.probes, err = selectOn(st, selectorProbes, byProbe, window); err != nil {
			return err
		}
		t.probeFails, err = selectOn(st, selectorProbeFailures, byProbe, window)
		return err
	})
	if err != nil {
		return nil, err
	}
	t.cur.Store(&trafficSnap{window: window, deps: map[depKey]figures{}, routes: map[string]figures{}, probes: map[string]figures{}, byID: map[string]figures{}})
	return t, nil
}

func quantiles(f *figures, h *series.Hist) {
	f.p50, f.p95, f.p99 = math.NaN(), math.NaN(), math.NaN()
	if h == nil || h.Empty() || h.Total() <= 0 {
		return
	}
	f.p50, f.p95, f.p99 = h.Quantile(0.5), h.Quantile(0.95), h.Quantile(0.99)
}

// cycle computes every component's figures from this cycle's windows.
func (t *traffic) cycle(c *series.Cycle) {
	snap := &trafficSnap{at: c.Now, window: t.window, deps: map[depKey]figures{}, routes: map[string]figures{}, probes: map[string]figures{}, byID: map[string]figures{}}
	clear(t.hists)
	if t.alerts != nil {
		snap.alerts = t.alerts()
	}

	calls := t.calls.Increases(t.window, c.Seq)
	g := t.calls.Grouping()
	for i := range g.Len() {
		if calls.N[i] == 0 {
			continue
		}
		l := g.Labels(i)
		k := depKey{l[igsemconv.AttrDependencyKind], l[igsemconv.AttrDependencyName]}
		f, seen := snap.deps[k]
		if !seen {
			quantiles(&f, nil)
		}
		o := outcomeOf(l[igsemconv.AttrDependencyOutcome])
		f.outcomes[o] += calls.Sum[i]
		if o != instrument.OutcomeCanceled {
			f.calls += calls.Sum[i]
		}
		if o == instrument.OutcomeError || o == instrument.OutcomeTimeout {
			f.failures += calls.Sum[i]
		}
		f.full = f.full || calls.Full[i]
		snap.deps[k] = f
	}
	lat := t.lat.Histograms(t.window, c.Seq)
	g = t.lat.Grouping()
	for i := range g.Len() {
		l := g.Labels(i)
		k := depKey{l[igsemconv.AttrDependencyKind], l[igsemconv.AttrDependencyName]}
		f, ok := snap.deps[k]
		if !ok {
			continue
		}
		quantiles(&f, &lat.Hist[i])
		snap.deps[k] = f
		t.hists[depComponentID(k.kind, k.name)] = &lat.Hist[i]
	}

	eachHistogram(t.routes, t.routeErrs, t.window, c.Seq, func(l map[string]string, f figures, h *series.Hist) {
		r := routeName(l[igsemconv.AttrHTTPMethod], l[igsemconv.AttrHTTPRoute])
		snap.routes[r] = f
		t.hists[routeComponentID(r)] = h
	})
	eachHistogram(t.probes, t.probeFails, t.window, c.Seq, func(l map[string]string, f figures, h *series.Hist) {
		snap.probes[l[igsemconv.AttrProbeName]] = f
		t.hists[l[igsemconv.AttrProbeName]] = h
	})
	for k, f := range snap.deps {
		snap.byID[depComponentID(k.kind, k.name)] = f
	}
	for r, f := range snap.routes {
		snap.byID[routeComponentID(r)] = f
	}
	for name, f := range snap.probes {
		snap.byID[name] = f
	}
	t.cur.Store(snap)

	t.mu.Lock()
	for k, f := range snap.deps {
		t.push(depComponentID(k.kind, k.name), point{c.Now, f.p95, f.errorRatio()})
	}
	for r, f := range snap.routes {
		t.push(routeComponentID(r), point{c.Now, f.p95, f.errorRatio()})
	}
	for name, f := range snap.probes {
		t.push(name, point{c.Now, f.p95, f.errorRatio()})
	}
	t.mu.Unlock()
}

// eachHistogram calls fn with the figures of every group of a histogram
// selection, its failures counted by a second selection of the same
// grouping.
func eachHistogram(all, failed *series.Selection, w time.Duration, seq uint64, fn func(map[string]string, figures, *series.Hist)) {
	hs := all.Histograms(w, seq)
	errs := failed.Increases(w, seq)
	g := all.Grouping()
	for i := range g.Len() {
		h := &hs.Hist[i]
		if h.Empty() {
			continue
		}
		f := figures{calls: h.Total(), full: hs.Full[i]}
		quantiles(&f, h)
		if i < len(errs.N) && errs.N[i] > 0 {
			f.failures = errs.Sum[i]
		}
		fn(g.Labels(i), f, h)
	}
}

// push appends a point to a component's history. Callers hold t.mu.
func (t *traffic) push(id string, p point) {
	h := append(t.history[id], p)
	if len(h) > historyPoints {
		h = h[len(h)-historyPoints:]
	}
	t.history[id] = h
}

// sparklines returns a component's recent p95 and error ratio, oldest
// first.
func (t *traffic) sparklines(id string) (lat, errs []float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.history[id]
	lat, errs = make([]float64, len(h)), make([]float64, len(h))
	for i, p := range h {
		lat[i], errs[i] = p.p95, p.errRatio
	}
	return lat, errs
}

func (t *traffic) snapshot() *trafficSnap { return t.cur.Load() }

// depFigures is the Monitor's instrumenthook.Source: a dependency's
// figures in the last cycle, read by its Stats.
func (t *traffic) depFigures(kind, name string) instrumenthook.Figures {
	snap := t.snapshot()
	out := instrumenthook.Figures{Window: snap.window, At: snap.at, P50: math.NaN(), P95: math.NaN(), P99: math.NaN()}
	if f, ok := snap.deps[depKey{kind, name}]; ok {
		out.Outcomes = f.outcomes
		out.P50, out.P95, out.P99 = f.p50, f.p95, f.p99
	}
	return out
}

// figuresOf returns a component's figures in snap.
func (t *traffic) figuresOf(snap *trafficSnap, id string) (figures, bool) {
	f, ok := snap.byID[id]
	return f, ok
}

// histOf returns a component's latency histogram of the current cycle;
// call it only inside the cycle.
func (t *traffic) histOf(id string) *series.Hist { return t.hists[id] }

// outcomeOf reads an igmon.dependency.outcome value; an unknown one
// counts as an error.
func outcomeOf(s string) instrument.Outcome {
	for o := instrument.OutcomeSuccess; o <= instrument.OutcomeCanceled; o++ {
		if o.String() == s {
			return o
		}
	}
	return instrument.OutcomeError
}

func routeName(method, route string) string {
	if route == "" {
		route = "unmatched"
	}
	if method == "" {
		return route
	}
	return method + " " + route
}

func depComponentID(kind, name string) string { return kind + "-" + name }

func routeComponentID(route string) string { return "route-" + slug(route) }

// engineSource adapts the in-process reader to the engine's source.
type engineSource struct {
	m *Monitor
	// last is what the engine collected in its current cycle, for the
	// pool summaries and host figures the page reads from gauges.
	last atomic.Pointer[metricdata.ResourceMetrics]
}

func (s *engineSource) Collect(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if s.m.tel == nil || s.m.tel.inproc == nil {
		s.last.Store(nil)
		return exporters.ErrNotRegistered
	}
	got, err := s.m.tel.inproc.Collect(ctx)
	if err != nil {
		s.last.Store(nil)
		return err
	}
	*rm = got
	s.last.Store(&got)
	return nil
}

// initEngine builds the series engine over the in-process reader and the
// live-traffic reader on it. Alert rules join it in initAlerting.
func (m *Monitor) initEngine() error {
	m.src = &engineSource{m: m}
	now := func() time.Time {
		if m.testNow != nil {
			return m.testNow()
		}
		// Alert windows, status windows and evidence run on one clock:
		// the evaluator's (internal/alerthook.WithClock in tests) when alerting is on.
		if a := m.alerting; a != nil && a.eval != nil {
			return alerthook.Now(a.eval)
		}
		return time.Now()
	}
	m.engine = series.NewEngine(m.src, 32, 100_000, now)
	var err error
	if m.traffic, err = newTraffic(m.engine, defaultStatusWindow); err != nil {
		return fmt.Errorf("monitor: series engine: %w", err)
	}
	return nil
}

// Refresh runs one cycle of the series engine now: it collects the
// in-process reader once and recomputes the status figures (Stats, the
// dashboard's cards) and the alert rules from it, as Start does every
// 5 s (or the alert rules' interval if shorter). Use it for a manual refresh or in an example;
// a running Monitor does not need it.
func (m *Monitor) Refresh(ctx context.Context) error {
	if err := m.engine.Cycle(ctx); err != nil {
		return fmt.Errorf("monitor: refresh: %w", err)
	}
	return nil
}
