package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/redact"
	"github.com/jackcode/igmon/monitor/dashboard"
	"github.com/jackcode/igmon/probes"
)

// sparkPoints is how many points each sparkline keeps.
const sparkPoints = 30

// statusPage builds dashboard snapshots from what the Monitor already
// measures: check results, dependency windows, probe histories, the
// in-process metrics reader, alerts and the event log. It keeps only short
// rings of recent points for the sparklines.
type statusPage struct {
	m *Monitor

	mu     sync.Mutex
	sparks map[string]*spark     // by component ID
	routes map[string]*routeRing // by route
	last   time.Time             // when the rings last took a point
}

type spark struct {
	latency, errors []float64
}

func (s *spark) push(lat, errRate float64) {
	s.latency = append(s.latency, lat)
	s.errors = append(s.errors, errRate)
	if len(s.latency) > sparkPoints {
		s.latency = s.latency[1:]
		s.errors = s.errors[1:]
	}
}

// routeSample is a route's cumulative counts at one collection.
type routeSample struct {
	at     time.Time
	start  time.Time // earliest start time of the route's points
	count  uint64
	errs   uint64
	bounds []float64
	counts []uint64
}

type routeRing struct{ samples []routeSample }

// Dashboard returns the status page for this Monitor, with details and
// actions behind the Monitor's authorizer. The Monitor closes it on
// Shutdown; mount it at "/" or under a prefix with http.StripPrefix.
func (m *Monitor) Dashboard(opts ...dashboard.Option) (*dashboard.Handler, error) {
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
	h, err := dashboard.New(&statusPage{m: m, sparks: map[string]*spark{}, routes: map[string]*routeRing{}}, append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("monitor: dashboard: %w", err)
	}
	m.dash = h
	return h, nil
}

// Snapshot implements dashboard.Source.
func (p *statusPage) Snapshot(ctx context.Context, detailed bool) (dashboard.Snapshot, error) {
	m := p.m
	now := time.Now()
	snap := dashboard.Snapshot{
		Service:   dashboard.ServiceInfo{Name: m.cfg.serviceName, Version: m.cfg.serviceVersion, Environment: m.cfg.environment, Instance: m.cfg.instanceID},
		Generated: now,
		Window:    5 * time.Minute,
	}
	var rm metricdata.ResourceMetrics
	if m.tel != nil && m.tel.inproc != nil {
		if got, err := m.tel.inproc.Collect(ctx); err == nil {
			rm = got
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	tick := now.Sub(p.last) >= 5*time.Second
	if tick {
		p.last = now
	}

	groups := map[string][]dashboard.Component{}
	add := func(g string, c dashboard.Component) { groups[g] = append(groups[g], c) }

	add(dashboard.GroupServers, hostComponent(m, rm))
	add(dashboard.GroupServers, processComponent(m, rm))

	// Dependencies: figures from their windows, status from their passive
	// health check when one is registered.
	results := map[string]checks.Result{}
	for _, r := range m.checks.Results() {
		results[r.Name] = r
	}
	claimed := map[string]bool{}
	for _, d := range m.Dependencies() {
		st := d.Stats()
		id := d.Kind() + "-" + d.Name()
		c := dashboard.Component{
			ID: id, Name: d.Name(), Kind: d.Kind(), Status: dashboard.StatusUnknown,
			P50: secs(st.P50, st.Calls), P95: secs(st.P95, st.Calls),
			ErrorRate: ratio(st.Failures, st.Calls), RequestRate: float64(st.Calls) / st.Window.Seconds(),
			Volume: int64(st.Calls), UptimePct: pct(st.Calls-st.Failures, st.Calls),
		}
		c.Status = statusOfTraffic(st.Failures, st.Calls)
		if res, ok := results[d.Name()]; ok {
			claimed[res.Name] = true
			fillFromCheck(&c, res, detailed)
		}
		sp := p.spark(id)
		if tick {
			sp.push(c.P95, c.ErrorRate)
		}
		c.LatencySparkline, c.ErrorSparkline = sp.latency, sp.errors
		add(groupOfKind(d.Kind()), c)
	}

	// Synthetic probes: the last results are the history.
	for _, pr := range m.Probes() {
		claimed[pr.Name()] = true
		add(dashboard.GroupNetwork, probeComponent(pr, results[pr.Name()], detailed))
	}

	// API routes from the server metrics.
	for _, c := range p.routeComponents(rm, now, tick) {
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
		if r.ComponentType == checks.ComponentDatastore {
			c.Summary = poolSummary(rm, r.Name)
		}
		add(groupOfComponentType(r.ComponentType), c)
	}

	for _, g := range []string{dashboard.GroupServers, dashboard.GroupAPI, dashboard.GroupDatabases, dashboard.GroupPayments, dashboard.GroupGames, dashboard.GroupKYC, dashboard.GroupNetwork} {
		cs := groups[g]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		snap.Groups = append(snap.Groups, dashboard.Group{Name: g, Components: cs})
	}

	if m.alerting != nil {
		snap.Alerts, snap.Silences = m.alerting.dashboardAlerts(now, detailed, rm)
	}
	events := m.events.Query(EventQuery{Limit: 50})
	for i := len(events) - 1; i >= 0; i-- {
		snap.Events = append(snap.Events, publicEvent(events[i], detailed))
	}
	return snap, nil
}

// publicEvent converts an event for the page: what only authorized
// viewers may read (see withheld) moves to Detail, which only they get.
func publicEvent(e Event, detailed bool) dashboard.Event {
	msg, detail := withheld(e)
	ev := dashboard.Event{Time: e.Time, Component: e.Component, Severity: e.Severity, Kind: e.Kind, Message: msg}
	if detailed {
		ev.Detail = detail
	}
	return ev
}

func (p *statusPage) spark(id string) *spark {
	s := p.sparks[id]
	if s == nil {
		s = &spark{}
		p.sparks[id] = s
	}
	return s
}

// statusOfTraffic judges a component without a health check by its error
// ratio: over 5% fails, over 1% warns, no traffic is unknown.
func statusOfTraffic(errs, n uint64) dashboard.Status {
	switch r := ratio(errs, n); {
	case n == 0:
		return dashboard.StatusUnknown
	case r > 0.05:
		return dashboard.StatusFail
	case r > 0.01:
		return dashboard.StatusWarn
	}
	return dashboard.StatusPass
}

func secs(d time.Duration, n uint64) float64 {
	if n == 0 {
		return math.NaN()
	}
	return d.Seconds()
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func pct(a, b uint64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return 100 * float64(a) / float64(b)
}

func fillFromCheck(c *dashboard.Component, r checks.Result, detailed bool) {
	c.Status = dashboard.Status(r.Status.String())
	c.Since = r.Since
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
	case KindPayment:
		return dashboard.GroupPayments
	case KindGameProvider:
		return dashboard.GroupGames
	case KindKYC:
		return dashboard.GroupKYC
	case KindDatabase, KindCache:
		return dashboard.GroupDatabases
	}
	return dashboard.GroupAPI
}

func groupOfComponentType(t string) string {
	switch t {
	case checks.ComponentDatastore:
		return dashboard.GroupDatabases
	case checks.ComponentPaymentProvider:
		return dashboard.GroupPayments
	case checks.ComponentGameProvider:
		return dashboard.GroupGames
	case checks.ComponentKYC:
		return dashboard.GroupKYC
	case checks.ComponentSystem:
		return dashboard.GroupServers
	case checks.ComponentHTTP:
		return dashboard.GroupNetwork
	}
	return dashboard.GroupAPI
}

func probeComponent(pr *probes.Probe, res checks.Result, detailed bool) dashboard.Component {
	c := dashboard.Component{ID: pr.Name(), Name: pr.Name(), Kind: "probe " + string(pr.Kind()), Status: dashboard.StatusUnknown,
		P50: math.NaN(), P95: math.NaN(), ErrorRate: math.NaN(), RequestRate: 1 / pr.Interval().Seconds(), UptimePct: math.NaN()}
	hist := pr.Results()
	var ok uint64
	lat := make([]float64, 0, len(hist))
	errs := make([]float64, 0, len(hist))
	durs := make([]float64, 0, len(hist))
	for _, r := range hist {
		durs = append(durs, r.Duration.Seconds())
		lat = append(lat, r.Duration.Seconds())
		if r.Success {
			ok++
			errs = append(errs, 0)
		} else {
			errs = append(errs, 1)
			if detailed {
				c.LastError, c.LastErrorAt = r.Error, r.Start
			}
		}
	}
	if n := uint64(len(hist)); n > 0 {
		c.Volume = int64(n)
		c.ErrorRate = ratio(n-ok, n)
		c.UptimePct = pct(ok, n)
		sort.Float64s(durs)
		c.P50 = durs[len(durs)/2]
		c.P95 = durs[min(len(durs)-1, len(durs)*95/100)]
	}
	if len(lat) > sparkPoints {
		lat, errs = lat[len(lat)-sparkPoints:], errs[len(errs)-sparkPoints:]
	}
	c.LatencySparkline, c.ErrorSparkline = lat, errs
	if res.Name != "" {
		lastErr, at := c.LastError, c.LastErrorAt
		fillFromCheck(&c, res, detailed)
		if c.LastError == "" {
			c.LastError, c.LastErrorAt = lastErr, at
		}
	}
	if last, ok := pr.Last(); ok && !last.CertExpiry.IsZero() {
		c.Summary = fmt.Sprintf("cert expires in %d days", int(time.Until(last.CertExpiry).Hours()/24))
	}
	return c
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

// routeComponents turns http.server.request.duration into one component per
// route, with figures over the last window from a ring of cumulative
// samples.
func (p *statusPage) routeComponents(rm metricdata.ResourceMetrics, now time.Time, tick bool) []dashboard.Component {
	cur := map[string]*routeSample{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name != "http.server.request.duration" {
				continue
			}
			h, ok := md.Data.(metricdata.Histogram[float64])
			if !ok {
				continue
			}
			for _, dp := range h.DataPoints {
				route := "unmatched"
				if v, ok := dp.Attributes.Value("http.route"); ok {
					route = v.AsString()
				}
				if m, ok := dp.Attributes.Value("http.request.method"); ok {
					route = m.AsString() + " " + route
				}
				s := cur[route]
				if s == nil {
					s = &routeSample{at: now, start: dp.StartTime, bounds: dp.Bounds, counts: make([]uint64, len(dp.BucketCounts))}
					cur[route] = s
				}
				if !dp.StartTime.IsZero() && dp.StartTime.Before(s.start) {
					s.start = dp.StartTime
				}
				s.count += dp.Count
				if _, isErr := dp.Attributes.Value("error.type"); isErr {
					s.errs += dp.Count
				}
				if len(dp.BucketCounts) == len(s.counts) {
					for i, n := range dp.BucketCounts {
						s.counts[i] += n
					}
				}
			}
		}
	}
	var out []dashboard.Component
	for route, s := range cur {
		ring := p.routes[route]
		if ring == nil {
			// The counts are cumulative: until the ring covers a whole
			// window, the figures run from the start of the counts.
			start := s.start
			if start.IsZero() || !start.Before(now) {
				start = now.Add(-time.Second)
			}
			ring = &routeRing{samples: []routeSample{{at: start, counts: make([]uint64, len(s.counts))}}}
			p.routes[route] = ring
		}
		if tick {
			ring.samples = append(ring.samples, *s)
			// The base is the newest sample at least a window old, so
			// the figures cover the window and never shrink to nothing
			// because the page was not looked at for a while.
			for len(ring.samples) > 2 && now.Sub(ring.samples[1].at) >= 5*time.Minute {
				ring.samples = ring.samples[1:]
			}
		}
		base := ring.samples[0]
		n := s.count - min(base.count, s.count)
		e := s.errs - min(base.errs, s.errs)
		delta := make([]uint64, len(s.counts))
		for i := range delta {
			if i < len(base.counts) && base.counts[i] <= s.counts[i] {
				delta[i] = s.counts[i] - base.counts[i]
			} else {
				delta[i] = s.counts[i]
			}
		}
		span := now.Sub(base.at).Seconds()
		firstSight := len(ring.samples) == 1 && ring.samples[0].at.Equal(now)
		c := dashboard.Component{ID: "route-" + slug(route), Name: route, Kind: "route", Status: dashboard.StatusUnknown,
			P50: quantile(0.5, s.bounds, delta), P95: quantile(0.95, s.bounds, delta),
			ErrorRate: ratio(e, n), RequestRate: float64(n) / math.Max(span, 1), Volume: int64(n), UptimePct: pct(n-e, n)}
		if firstSight {
			c.RequestRate = math.NaN() // no rate from a single cumulative sample
		}
		c.Status = statusOfTraffic(e, n)
		sp := p.spark(c.ID)
		if tick {
			sp.push(c.P95, c.ErrorRate)
		}
		c.LatencySparkline, c.ErrorSparkline = sp.latency, sp.errors
		out = append(out, c)
	}
	return out
}

// quantile interpolates within explicit histogram buckets.
func quantile(q float64, bounds []float64, counts []uint64) float64 {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 || len(counts) != len(bounds)+1 {
		return math.NaN()
	}
	rank := q * float64(total)
	var cum float64
	for i, c := range counts {
		prev := cum
		cum += float64(c)
		if cum >= rank && c > 0 {
			lo := 0.0
			if i > 0 {
				lo = bounds[i-1]
			}
			if i == len(bounds) { // overflow bucket
				return lo
			}
			hi := bounds[i]
			return lo + (hi-lo)*(rank-prev)/float64(c)
		}
	}
	return bounds[len(bounds)-1]
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
	for _, d := range a.m.Dependencies() {
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
	err := a.m.Override(a.checkOf(component), st, reason, "dashboard")
	if errors.Is(err, checks.ErrUnknownCheck) {
		return fmt.Errorf("%w: %v", dashboard.ErrNotFound, err)
	}
	return err
}

func (a pageActions) ClearOverride(ctx context.Context, component, reason string) error {
	err := a.m.ClearOverride(a.checkOf(component), reason, "dashboard")
	if errors.Is(err, checks.ErrUnknownCheck) {
		return fmt.Errorf("%w: %v", dashboard.ErrNotFound, err)
	}
	return err
}
