package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/passive"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/redact"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// statusPage builds dashboard snapshots from what the Monitor already
// measures: check results, the series engine's live traffic figures,
// alerts and the event log. It computes no series itself.
type statusPage struct {
	m *Monitor
	// alertsOf, when set, is told every component's signals: the history
	// reader records the alerts about each component from them.
	alertsOf func(id string, sigs []signal)
	// about maps a firing alert (by fingerprint) to the components it is
	// about, for the page's links between alerts and cards.
	about map[string][]string
}

// decide applies the status rule and reports the signals to alertsOf.
func (p *statusPage) decide(c *dashboard.Component, sigs []signal) {
	decide(c, sigs)
	if c.Since.IsZero() && c.Status != dashboard.StatusPass && p.m.history != nil {
		// Traffic has no transition time of its own: history knows when
		// the component's current status began.
		c.Since = p.m.history.statusSince(c.ID, c.Status)
	}
	for _, s := range sigs {
		if s.kind == "alert" {
			if p.about == nil {
				p.about = map[string][]string{}
			}
			p.about[s.fingerprint] = append(p.about[s.fingerprint], c.ID)
		}
	}
	if p.alertsOf != nil {
		p.alertsOf(c.ID, sigs)
	}
}

// DashboardOption configures Monitor.Dashboard.
type DashboardOption interface {
	applyDashboard(*dashboardConfig)
}

type dashboardConfig struct {
	opts  []dashboard.Option
	given map[string]bool // options already given: each sets one value
	errs  []error
}

// once reports whether the option called name is given for the first
// time; a second one would silently replace the first and is refused,
// naming it.
func (c *dashboardConfig) once(name string) bool {
	if c.given[name] {
		c.errs = append(c.errs, fmt.Errorf("%s: given twice; the second would silently replace the first", name))
		return false
	}
	if c.given == nil {
		c.given = map[string]bool{}
	}
	c.given[name] = true
	return true
}

type dashboardOptionFunc func(*dashboardConfig)

func (f dashboardOptionFunc) applyDashboard(c *dashboardConfig) { f(c) }

// WithDashboardTitle sets the page title; the default is the service name.
func WithDashboardTitle(title string) DashboardOption {
	return dashboardOptionFunc(func(c *dashboardConfig) {
		if !c.once("WithDashboardTitle") {
			return
		}
		if title == "" {
			c.errs = append(c.errs, errors.New("WithDashboardTitle: title must not be empty"))
			return
		}
		c.opts = append(c.opts, dashboard.WithTitle(title))
	})
}

// WithDashboardRefresh sets how often the page's event stream pushes a
// snapshot and the page polls when it has a token: between 100ms and 5m,
// 2s by default. Public snapshots are shared by all viewers for half of
// it, so more viewers do not mean more work.
func WithDashboardRefresh(d time.Duration) DashboardOption {
	return dashboardOptionFunc(func(c *dashboardConfig) {
		if !c.once("WithDashboardRefresh") {
			return
		}
		if d < dashboard.MinRefresh || d > dashboard.MaxRefresh {
			c.errs = append(c.errs, fmt.Errorf("WithDashboardRefresh: %v is outside [%v, %v]", d, dashboard.MinRefresh, dashboard.MaxRefresh))
			return
		}
		c.opts = append(c.opts, dashboard.WithRefresh(d))
	})
}

// Dashboard returns the status page for this Monitor (the page,
// status.json, its event stream, badges and operator actions), with
// details and actions behind the Monitor's authorizer. The Monitor closes
// it on Shutdown; mount it at "/" or under a prefix with http.StripPrefix.
// Later calls return the same handler; their options are ignored.
func (m *Monitor) Dashboard(opts ...DashboardOption) (http.Handler, error) {
	var dc dashboardConfig
	for _, o := range opts {
		if o == nil {
			dc.errs = append(dc.errs, errors.New("nil DashboardOption"))
			continue
		}
		o.applyDashboard(&dc)
	}
	if err := errors.Join(dc.errs...); err != nil {
		return nil, fmt.Errorf("monitor: dashboard: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dash != nil {
		return m.dash, nil
	}
	if m.shutdown {
		// Shutdown has already closed what it knew of: a new handler's
		// event streams would never end.
		return nil, errors.New("monitor: dashboard: Monitor is shut down")
	}
	base := []dashboard.Option{
		dashboard.WithLogger(m.logger),
		dashboard.WithTitle(m.cfg.serviceName),
		dashboard.WithActions(pageActions{m}),
	}
	if m.cfg.authorizer != nil {
		base = append(base, dashboard.WithAuthorizer(m.cfg.authorizer))
	}
	h, err := dashboard.New(&statusPage{m: m}, append(base, dc.opts...)...)
	if err != nil {
		return nil, fmt.Errorf("monitor: dashboard: %w", err)
	}
	m.dash = h
	return h, nil
}

// gauges returns the engine's last collection, or a fresh one before the
// engine's first cycle: the host, process and pool summaries read gauges.
func (m *Monitor) gauges(ctx context.Context) metricdata.ResourceMetrics {
	if rm := m.src.last.Load(); rm != nil {
		return *rm
	}
	if m.tel != nil && m.tel.inproc != nil {
		if got, err := m.tel.inproc.Collect(ctx); err == nil {
			return got
		}
	}
	return metricdata.ResourceMetrics{}
}

// Snapshot implements dashboard.Source.
func (p *statusPage) Snapshot(ctx context.Context, detailed bool) (dashboard.Snapshot, error) {
	// One page per call: concurrent viewers must not share about.
	p = &statusPage{m: p.m, alertsOf: p.alertsOf}
	m := p.m
	now := time.Now()
	tr := m.traffic.snapshot()
	snap := dashboard.Snapshot{
		Service:   dashboard.ServiceInfo{Name: m.cfg.serviceName, Version: m.cfg.serviceVersion, Environment: m.cfg.environment, Instance: m.cfg.instanceID},
		Generated: now,
		Window:    tr.window,
	}
	rm := m.gauges(ctx)
	var alerts []componentAlert
	if m.alerting != nil {
		alerts = componentAlerts(tr.alerts, m.alerting.rules)
	}

	groups := map[string][]dashboard.Component{}
	add := func(g string, c dashboard.Component) { groups[g] = append(groups[g], c) }

	add(dashboard.GroupServers, hostComponent(m, rm))
	add(dashboard.GroupServers, processComponent(m, rm))

	results := map[string]checks.Result{}
	for _, r := range m.checks.Results() {
		results[r.Name] = r
	}
	claimed := map[string]bool{}
	// Dependencies: the status rule over the passive health check, the
	// live traffic and the alerts about them.
	for _, d := range m.dependencyList() {
		id := depComponentID(d.Kind(), d.Name())
		f, seen := tr.deps[depKey{d.Kind(), d.Name()}]
		c := trafficComponent(id, d.Name(), d.Kind(), f, seen, tr.window)
		res, ok := results[d.Name()]
		if ok {
			claimed[res.Name] = true
			fillFromCheck(&c, res, detailed)
		}
		p.decide(&c, dependencySignals(d, res, ok, f, tr.window, alerts))
		c.LatencySparkline, c.ErrorSparkline = m.traffic.sparklines(id)
		add(groupOfKind(d.Kind()), c)
	}

	// Synthetic probes: their runs over the status window and their check.
	for _, pr := range m.syntheticProbes() {
		claimed[pr.Name()] = true
		f, seen := tr.probes[pr.Name()]
		c := trafficComponent(pr.Name(), pr.Name(), "probe "+string(pr.Kind()), f, seen, tr.window)
		c.RequestRate = 1 / pr.Interval().Seconds()
		var sigs []signal
		if res, ok := results[pr.Name()]; ok {
			fillFromCheck(&c, res, detailed)
			if s, ok := checkSignal(res); ok {
				sigs = append(sigs, s)
			}
		}
		sigs = append(sigs, alertSignals(alerts, [2]string{igsemconv.AttrProbeName, pr.Name()})...)
		sigs = append(sigs, alertSignals(alerts, [2]string{"igmon.check.name", pr.Name()})...)
		p.decide(&c, sigs)
		if last, ok := pr.Last(); ok {
			if detailed && !last.Success {
				c.LastError, c.LastErrorAt = last.Error, last.Start
			}
			if !last.CertExpiry.IsZero() {
				c.Summary = fmt.Sprintf("cert expires in %d days", int(time.Until(last.CertExpiry).Hours()/24))
			}
		}
		c.LatencySparkline, c.ErrorSparkline = m.traffic.sparklines(pr.Name())
		add(dashboard.GroupNetwork, c)
	}

	// API routes from the server metrics.
	for route, f := range tr.routes {
		id := routeComponentID(route)
		c := trafficComponent(id, route, "route", f, true, tr.window)
		var sigs []signal
		if s, ok := trafficSignal(f, tr.window); ok {
			sigs = append(sigs, s)
		}
		method, path, _ := strings.Cut(route, " ")
		sigs = append(sigs, alertSignals(alerts, [2]string{igsemconv.AttrHTTPRoute, path}, [2]string{igsemconv.AttrHTTPMethod, method})...)
		p.decide(&c, sigs)
		c.LatencySparkline, c.ErrorSparkline = m.traffic.sparklines(id)
		add(dashboard.GroupAPI, c)
	}

	// Every other check, grouped by its component type.
	for _, r := range m.checks.Results() {
		if claimed[r.Name] {
			continue
		}
		c := dashboard.Component{ID: r.Name, Name: r.Name, Kind: r.ComponentType,
			P50: math.NaN(), P95: math.NaN(), ErrorRate: math.NaN(), RequestRate: math.NaN(), UptimePct: math.NaN()}
		fillFromCheck(&c, r, detailed)
		if r.Observation != nil && r.Observation.Unit == "ms" {
			c.P50 = r.Observation.Value / 1000
		} else if !r.Time.IsZero() {
			c.P50 = r.Duration.Seconds()
		}
		if r.ComponentType == "datastore" {
			c.Summary = poolSummary(rm, r.Name)
		}
		var sigs []signal
		if s, ok := checkSignal(r); ok {
			sigs = append(sigs, s)
		} else if r.Stale {
			c.Reason = "stale result: " + passive.FormatDuration(now.Sub(r.Time).Truncate(time.Second)) + " old"
		}
		sigs = append(sigs, alertSignals(alerts, [2]string{"igmon.check.name", r.Name})...)
		reason := c.Reason
		p.decide(&c, sigs)
		if c.Signal == "" && reason != "" {
			c.Reason = reason
		}
		add(groupOfComponentType(r.ComponentType), c)
	}

	for _, g := range m.failoverGroups() {
		snap.Failover = append(snap.Failover, g.Status())
	}
	if m.actions != nil {
		snap.PendingActions = m.actions.pendingList()
	}

	for _, g := range []string{dashboard.GroupServers, dashboard.GroupAPI, dashboard.GroupDatabases, dashboard.GroupPayments, dashboard.GroupGames, dashboard.GroupKYC, dashboard.GroupNetwork} {
		cs := groups[g]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		snap.Groups = append(snap.Groups, dashboard.Group{Name: g, Components: cs})
	}

	if m.alerting != nil {
		snap.Alerts, snap.Silences = m.alerting.dashboardAlerts(tr.alerts, now, detailed)
		// dashboardAlerts keeps the order of tr.alerts.
		for i, a := range snap.Alerts {
			if a.State == dashboard.AlertFiring {
				snap.Alerts[i].Components = p.about[tr.alerts[i].Fingerprint]
			}
		}
	}
	events := m.events.Query(eventQuery{Limit: 50})
	for i := len(events) - 1; i >= 0; i-- {
		snap.Events = append(snap.Events, publicEvent(events[i], detailed))
	}
	return snap, nil
}

// trafficComponent fills a card's figures from the engine's figures over
// the status window.
func trafficComponent(id, name, kind string, f figures, seen bool, window time.Duration) dashboard.Component {
	c := dashboard.Component{ID: id, Name: name, Kind: kind, Status: dashboard.StatusUnknown,
		P50: math.NaN(), P95: math.NaN(), ErrorRate: math.NaN(), RequestRate: math.NaN(), UptimePct: math.NaN()}
	if !seen {
		return c
	}
	c.P50, c.P95 = f.p50, f.p95
	c.ErrorRate = f.errorRatio()
	c.RequestRate = f.calls / window.Seconds()
	c.Volume = int64(math.Round(f.calls))
	if f.calls > 0 {
		c.UptimePct = 100 * (f.calls - f.failures) / f.calls
	}
	return c
}

// publicEvent converts an event for the page: what only authorized
// viewers may read (see withheld) moves to Detail, which only they get.
func publicEvent(e timelineEvent, detailed bool) dashboard.Event {
	msg, detail := withheld(e)
	ev := dashboard.Event{Time: e.Time, Component: e.Component, Severity: e.Severity, Kind: e.Kind, Message: msg}
	if detailed {
		ev.Detail = detail
	}
	return ev
}

func fillFromCheck(c *dashboard.Component, r checks.Result, detailed bool) {
	c.Status = dashboard.Status(r.Status.String())
	c.Since = r.Since
	c.CheckedAt, c.Stale = r.Time, r.Stale
	if r.Err != nil && r.Status != checks.StatusPass && detailed {
		c.LastError = redact.Error(r.Err)
		c.LastErrorAt = r.Time
	}
	if detailed && len(r.Details) > 0 {
		c.Details = r.Details
	}
	if ov := r.Override; ov != nil {
		c.Override = &dashboard.Override{Status: dashboard.Status(ov.Status.String()), Reason: ov.Reason, SetAt: ov.Time}
	}
}

func groupOfKind(kind string) string {
	switch kind {
	case instrument.KindPayment:
		return dashboard.GroupPayments
	case instrument.KindGameProvider:
		return dashboard.GroupGames
	case instrument.KindKYC:
		return dashboard.GroupKYC
	case instrument.KindDatabase, instrument.KindCache:
		return dashboard.GroupDatabases
	}
	return dashboard.GroupAPI
}

func groupOfComponentType(t string) string {
	switch t {
	case "datastore":
		return dashboard.GroupDatabases
	case "payment-provider":
		return dashboard.GroupPayments
	case "game-provider":
		return dashboard.GroupGames
	case "kyc":
		return dashboard.GroupKYC
	case "system":
		return dashboard.GroupServers
	case "http":
		return dashboard.GroupNetwork
	}
	return dashboard.GroupAPI
}

// hostComponent and processComponent read the same numbers that are
// exported, from the in-process reader.
func hostComponent(m *Monitor, rm metricdata.ResourceMetrics) dashboard.Component {
	host, _ := m.resource.Set().Value("host.name")
	c := dashboard.Component{ID: "host", Name: "host " + host.AsString(), Kind: "host", Status: dashboard.StatusPass,
		P50: math.NaN(), P95: math.NaN(), ErrorRate: math.NaN(), RequestRate: math.NaN(), UptimePct: math.NaN()}
	var parts []string
	if v, ok := gaugeSum(rm, "system.cpu.utilization", func(s attribute.Set) bool {
		mode, _ := s.Value("cpu.mode")
		return mode.AsString() != "idle" && mode.AsString() != ""
	}); ok {
		parts = append(parts, fmt.Sprintf("cpu %.0f%%", 100*v))
	}
	if v, ok := gaugeSum(rm, "system.memory.utilization", func(s attribute.Set) bool {
		st, _ := s.Value("system.memory.state")
		return st.AsString() == "used"
	}); ok {
		parts = append(parts, fmt.Sprintf("mem %.0f%%", 100*v))
	}
	if v, ok := gaugeMax(rm, "system.filesystem.utilization"); ok {
		parts = append(parts, fmt.Sprintf("disk %.0f%%", 100*v))
	}
	if v, ok := gaugeSum(rm, "igmon.system.cpu.load_average.1m", nil); ok {
		parts = append(parts, fmt.Sprintf("load %.2f", v))
	}
	c.Summary = strings.Join(parts, " · ")
	if len(parts) == 0 {
		c.Status = dashboard.StatusUnknown
	}
	return c
}

func processComponent(m *Monitor, rm metricdata.ResourceMetrics) dashboard.Component {
	c := dashboard.Component{ID: "process", Name: "process " + m.cfg.serviceName, Kind: "process", Status: dashboard.StatusPass,
		P50: math.NaN(), P95: math.NaN(), ErrorRate: math.NaN(), RequestRate: math.NaN(), UptimePct: math.NaN()}
	var parts []string
	if v, ok := gaugeSum(rm, "process.memory.usage", nil); ok {
		parts = append(parts, fmt.Sprintf("rss %.0f MiB", v/(1<<20)))
	}
	if v, ok := gaugeSum(rm, "go.goroutine.count", nil); ok {
		parts = append(parts, fmt.Sprintf("%.0f goroutines", v))
	}
	if v, ok := gaugeSum(rm, "process.uptime", nil); ok {
		parts = append(parts, "up "+time.Duration(v*float64(time.Second)).Truncate(time.Second).String())
	}
	c.Summary = strings.Join(parts, " · ")
	return c
}

// poolSummary describes the connection pool of the datastore check name:
// the pool of that name, or the only pool when there is just one.
func poolSummary(rm metricdata.ResourceMetrics, name string) string {
	pools := map[string]bool{}
	eachPoint(rm, "db.client.connection.max", func(s attribute.Set, _ float64) {
		v, _ := s.Value("db.client.connection.pool.name")
		pools[v.AsString()] = true
	})
	pool := name
	if !pools[name] {
		if len(pools) != 1 {
			return ""
		}
		for p := range pools {
			pool = p
		}
	}
	ofPool := func(s attribute.Set) bool {
		v, _ := s.Value("db.client.connection.pool.name")
		return v.AsString() == pool
	}
	used, okU := gaugeSum(rm, "db.client.connection.count", func(s attribute.Set) bool {
		st, _ := s.Value("db.client.connection.state")
		return ofPool(s) && st.AsString() == "used"
	})
	max, okM := gaugeSum(rm, "db.client.connection.max", ofPool)
	if okU && okM && max > 0 {
		return fmt.Sprintf("pool %.0f/%.0f in use", used, max)
	}
	return ""
}

// eachPoint calls fn for every numeric point of the named metric.
func eachPoint(rm metricdata.ResourceMetrics, name string, fn func(attribute.Set, float64)) {
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name != name {
				continue
			}
			switch d := md.Data.(type) {
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					fn(p.Attributes, p.Value)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					fn(p.Attributes, float64(p.Value))
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					fn(p.Attributes, p.Value)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					fn(p.Attributes, float64(p.Value))
				}
			}
		}
	}
}

func gaugeSum(rm metricdata.ResourceMetrics, name string, keep func(attribute.Set) bool) (float64, bool) {
	var sum float64
	found := false
	eachPoint(rm, name, func(s attribute.Set, v float64) {
		if keep == nil || keep(s) {
			sum += v
			found = true
		}
	})
	return sum, found
}

func gaugeMax(rm metricdata.ResourceMetrics, name string) (float64, bool) {
	best, found := 0.0, false
	eachPoint(rm, name, func(_ attribute.Set, v float64) {
		if !found || v > best {
			best, found = v, true
		}
	})
	return best, found
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// pageActions carries out the dashboard's operator actions.
type pageActions struct{ m *Monitor }

func (a pageActions) Silence(ctx context.Context, req dashboard.SilenceRequest) (string, error) {
	if a.m.alerting == nil {
		return "", fmt.Errorf("%w: alerting is not enabled", dashboard.ErrInvalid)
	}
	return a.m.alerting.silence(req)
}

func (a pageActions) Unsilence(ctx context.Context, id string) error {
	if a.m.alerting == nil {
		return fmt.Errorf("%w: alerting is not enabled", dashboard.ErrNotFound)
	}
	return a.m.alerting.unsilence(id)
}

// checkOf maps a component ID of the page to the check behind it: a
// dependency's card is "<kind>-<name>", its passive health check "<name>".
func (a pageActions) checkOf(component string) string {
	if _, ok := a.m.checks.Result(component); ok {
		return component
	}
	for _, d := range a.m.dependencyList() {
		if d.Kind()+"-"+d.Name() == component {
			return d.Name()
		}
	}
	return component
}

func (a pageActions) Override(ctx context.Context, component string, status dashboard.Status, reason string) error {
	st := checks.StatusFail
	if status == dashboard.StatusPass {
		st = checks.StatusPass
	}
	err := a.m.checks.Override(a.checkOf(component), st, reason, "dashboard")
	if errors.Is(err, checks.ErrUnknownCheck) {
		return fmt.Errorf("%w: %v", dashboard.ErrNotFound, err)
	}
	return err
}

func (a pageActions) ClearOverride(ctx context.Context, component, reason string) error {
	err := a.m.checks.ClearOverride(a.checkOf(component), reason, "dashboard")
	if errors.Is(err, checks.ErrUnknownCheck) {
		return fmt.Errorf("%w: %v", dashboard.ErrNotFound, err)
	}
	return err
}
