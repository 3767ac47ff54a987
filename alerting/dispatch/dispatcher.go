package dispatch

import (
	"cmp"
	"context"
	"errors"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackcode/igmon/alerting"
)

// Dispatcher is the notification pipeline: inhibit → silence → maintenance
// → group → dedup → repeat → deliver. Receive records alerts and returns at
// once; a tick flushes the groups that are due; delivery runs on one worker
// per receiver behind a bounded queue, so a dead receiver never blocks the
// evaluator.
//
// Start ticks every second on the real clock; Flush delivers what is
// queued. igmon's tests drive a fake clock and tick through
// internal/alerthook.
type Dispatcher struct {
	cfg      *config
	silences *Silences
	routes   []Route
	workers  map[string]*worker
	inst     *dispatchInstruments
	fwd      *forwarder // WithAlertmanagers

	mu     sync.Mutex
	alerts map[string]*alertEntry // by fingerprint
	groups map[string]*group
	// firing holds every firing alert received, routed or not, by
	// fingerprint: an inhibition source need not be routed anywhere (an
	// "egress down" alert may exist only to mute its children).
	firing map[string]alerting.Alert
	// unconfirmed holds the firing alerts a restore brought back until the
	// first Receive; those it does not mention resolve (see
	// unmarshalState).
	unconfirmed map[string]bool

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	closed bool
}

type alertEntry struct {
	alert  alerting.Alert
	groups int // how many groups hold it
}

type group struct {
	key       string
	route     *Route
	labels    alerting.Labels
	alerts    map[string]*alertEntry
	nextFlush time.Time
	flushed   bool
	lastSent  time.Time
	notified  map[string]bool // told as firing and not yet as resolved
	last      map[string]bool // firing fingerprints of the last notification
}

// New builds the pipeline and starts one delivery worker per
// receiver; Close stops them.
func New(opts ...Option) (*Dispatcher, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	d := &Dispatcher{
		cfg:      cfg,
		silences: newSilences(cfg.Clock),
		routes:   slices.Clone(cfg.routes),
		workers:  map[string]*worker{},
		alerts:   map[string]*alertEntry{},
		groups:   map[string]*group{},
		firing:   map[string]alerting.Alert{},
	}
	if len(d.routes) == 0 && len(cfg.receivers) > 0 {
		r := Route{GroupBy: []string{alerting.LabelAlertName}}
		for _, rc := range cfg.receivers {
			r.Receivers = append(r.Receivers, rc.Name)
		}
		// The default route re-sends often enough for every receiver
		// that forgets alerts (an Alertmanager).
		if limit := resendLimit(cfg.receivers); limit > 0 {
			r.GroupInterval, r.RepeatInterval = min(5*time.Minute, limit), limit
		}
		r.withDefaults()
		d.routes = []Route{r}
	}
	if d.inst, err = newDispatchInstruments(cfg.MeterProvider, cfg.receivers); err != nil {
		return nil, err
	}
	if cfg.am != nil {
		if d.fwd, err = newForwarder(d.cfg); err != nil {
			return nil, err
		}
		d.fwd.start(d.silences)
	}
	for _, rc := range cfg.receivers {
		d.workers[rc.Name] = newWorker(rc, d.cfg, d.inst)
	}
	return d, nil
}

// Silences returns the silence set the pipeline consults.
func (d *Dispatcher) Silences() *Silences { return d.silences }

// Receive records the evaluator's firing and resolved alerts. It never
// blocks on delivery.
//
// With WithAlertmanagers, each call's alerts are the complete set the
// peers get (the Evaluator passes every firing and recently resolved
// alert of a cycle), muted or not.
func (d *Dispatcher) Receive(alerts []alerting.Alert) {
	if d.fwd != nil {
		d.fwd.update(alerts)
	}
	now := d.cfg.Clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range alerts {
		delete(d.unconfirmed, a.Fingerprint)
		if len(d.cfg.inhibits) > 0 {
			if a.State == alerting.StateFiring {
				d.firing[a.Fingerprint] = a
			} else {
				delete(d.firing, a.Fingerprint)
			}
		}
		e, known := d.alerts[a.Fingerprint]
		if !known {
			if a.State != alerting.StateFiring {
				continue // resolved before we ever saw it fire
			}
			e = &alertEntry{}
			d.alerts[a.Fingerprint] = e
		}
		e.alert = a
		if known {
			continue
		}
		eachRoute(d.routes, a.Labels, func(i int, r *Route) { d.addToGroup(r, i, e, now) })
		if e.groups == 0 {
			delete(d.alerts, a.Fingerprint)
		}
	}
	d.resolveUnconfirmed(now)
}

// eachRoute calls fn for the routes an alert with labels l goes to: the
// first matching route, and the next ones while a matching route says
// Continue.
func eachRoute(routes []Route, l alerting.Labels, fn func(i int, r *Route)) {
	for i := range routes {
		r := &routes[i]
		if !r.Matchers.Matches(l) {
			continue
		}
		fn(i, r)
		if !r.Continue {
			return
		}
	}
}

// groupKey returns the key and the labels of the group that an alert with
// labels l joins on route r, the idx-th route.
func groupKey(r *Route, idx int, l alerting.Labels) (string, alerting.Labels) {
	by := r.GroupBy
	if len(by) == 1 && by[0] == groupByAll {
		by = slices.Sorted(maps.Keys(l))
	}
	gl := make(alerting.Labels, len(by))
	var kb strings.Builder
	kb.WriteString(strconv.Itoa(idx))
	for _, k := range by {
		v := l[k]
		gl[k] = v
		kb.WriteString("\xff" + k + "=" + v)
	}
	return kb.String(), gl
}

func (d *Dispatcher) addToGroup(r *Route, idx int, e *alertEntry, now time.Time) {
	key, gl := groupKey(r, idx, e.alert.Labels)
	g := d.groups[key]
	if g == nil {
		g = &group{key: key, route: r, labels: gl, alerts: map[string]*alertEntry{},
			nextFlush: now.Add(r.GroupWait), notified: map[string]bool{}, last: map[string]bool{}}
		d.groups[key] = g
	}
	if _, ok := g.alerts[e.alert.Fingerprint]; !ok {
		g.alerts[e.alert.Fingerprint] = e
		e.groups++
	}
}

// tick flushes every group whose group_wait or group_interval elapsed at
// the clock's current time and queues the resulting notifications.
func (d *Dispatcher) tick() {
	now := d.cfg.Clock.Now()
	var out []*Notification
	var routes []*Route
	d.mu.Lock()
	keys := slices.Sorted(maps.Keys(d.groups))
	for _, k := range keys {
		g := d.groups[k]
		if now.Before(g.nextFlush) {
			continue
		}
		if n := d.flush(g, now); n != nil {
			out = append(out, n)
			routes = append(routes, g.route)
		}
	}
	d.mu.Unlock()
	for i, n := range out {
		for _, name := range routes[i].Receivers {
			c := *n
			c.Receiver = name
			d.workers[name].enqueue(&c)
		}
	}
}

// muted tells why a firing alert must not be notified now, or "".
func (d *Dispatcher) muted(a *alerting.Alert, now time.Time) string {
	for range inhibitors(d.cfg.inhibits, d.firing, a) {
		return "inhibited"
	}
	if _, ok := d.silences.mutedBy(a.Labels, now); ok {
		return "silenced"
	}
	if d.inMaintenance(a.Labels, now) {
		return "maintenance"
	}
	return ""
}

// inhibitors yields the firing alerts that inhibit a under the inhibit
// rules (once per rule that applies). The dispatcher calls it with d.mu
// held, a snapshot with its copy of firing.
func inhibitors(rules []InhibitRule, firing map[string]alerting.Alert, a *alerting.Alert) iter.Seq[*alerting.Alert] {
	return func(yield func(*alerting.Alert) bool) {
		for i := range rules {
			ir := &rules[i]
			if !ir.Target.Matches(a.Labels) {
				continue
			}
			for _, src := range firing {
				if ir.inhibits(&src, a) && !yield(&src) {
					return
				}
			}
		}
	}
}

// inMaintenance reports whether a maintenance window covers labels l at
// now.
func (d *Dispatcher) inMaintenance(l alerting.Labels, now time.Time) bool {
	for i := range d.cfg.maintenance {
		w := &d.cfg.maintenance[i]
		if w.Matchers.Matches(l) && w.activeAt(now) {
			return true
		}
	}
	return false
}

// flush applies the mute stages, dedup and repeat to one group. Resolved
// alerts are sent only to receivers that were told they fired, and are
// never muted: closing an open page is always wanted.
func (d *Dispatcher) flush(g *group, now time.Time) *Notification {
	g.nextFlush = now.Add(g.route.GroupInterval)
	var firing, resolved []alerting.Alert
	for fp, e := range g.alerts {
		switch e.alert.State {
		case alerting.StateFiring:
			if reason := d.muted(&e.alert, now); reason != "" {
				d.inst.suppressed(reason)
				continue
			}
			firing = append(firing, e.alert)
		case alerting.StateResolved:
			if g.notified[fp] {
				resolved = append(resolved, e.alert)
			}
			d.removeFromGroup(g, fp, e)
		}
	}
	changed := len(resolved) > 0 || len(firing) != len(g.last)
	for _, a := range firing {
		if !g.last[a.Fingerprint] {
			changed = true
		}
	}
	reason := ""
	switch {
	case changed && !g.flushed && len(firing) > 0:
		reason = "new"
	case changed && len(firing) == 0 && len(resolved) > 0:
		reason = "resolved"
	case changed && len(firing) > 0:
		reason = "changed"
	case len(firing) > 0 && now.Sub(g.lastSent) >= g.route.RepeatInterval:
		reason = "repeat"
	}
	// Forget what left the group; muted alerts that were notified stay
	// in notified so their resolve is delivered later.
	for fp := range g.notified {
		if _, ok := g.alerts[fp]; !ok {
			delete(g.notified, fp)
		}
	}
	if len(g.alerts) == 0 {
		delete(d.groups, g.key)
	}
	if reason == "" {
		return nil
	}
	g.flushed, g.lastSent = true, now
	clear(g.last)
	for _, a := range firing {
		g.notified[a.Fingerprint] = true
		g.last[a.Fingerprint] = true
	}
	all := append(firing, resolved...)
	sortAlerts(all)
	status := "firing"
	if len(firing) == 0 {
		status = "resolved"
	}
	return &Notification{
		GroupKey:          g.route.groupKeyPrefix() + g.labels.String(),
		GroupLabels:       g.labels.Clone(),
		Status:            status,
		Reason:            reason,
		Alerts:            all,
		CommonLabels:      commonLabels(all),
		CommonAnnotations: commonAnnotations(all),
		ExternalURL:       d.cfg.externalURL,
	}
}

// sortAlerts orders a notification's alerts: firing before resolved, then
// by fingerprint, so equal states render equally.
func sortAlerts(all []alerting.Alert) {
	slices.SortFunc(all, func(a, b alerting.Alert) int {
		return cmp.Or(cmp.Compare(a.State, b.State), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
}

func (r *Route) groupKeyPrefix() string {
	if len(r.Matchers) == 0 {
		return "{}:"
	}
	return r.Matchers.String() + ":"
}

func (d *Dispatcher) removeFromGroup(g *group, fp string, e *alertEntry) {
	delete(g.alerts, fp)
	e.groups--
	if e.groups <= 0 {
		delete(d.alerts, fp)
	}
}

// Flush waits until every queued notification has been delivered or has
// failed for good, or ctx ends.
func (d *Dispatcher) Flush(ctx context.Context) error {
	for _, w := range d.workers {
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Start ticks every tick interval until Close.
func (d *Dispatcher) Start() error {
	d.runMu.Lock()
	defer d.runMu.Unlock()
	if d.closed {
		return errors.New("alerting: dispatcher closed")
	}
	if d.cancel != nil {
		return errors.New("alerting: dispatcher already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		t := time.NewTicker(d.cfg.tickInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.tick()
			}
		}
	}(d.done)
	return nil
}

// Close stops the tick loop and the delivery workers and waits for them.
// Notifications still queued are dropped and counted.
func (d *Dispatcher) Close() error {
	d.runMu.Lock()
	if d.closed {
		d.runMu.Unlock()
		return nil
	}
	d.closed = true
	cancel, done := d.cancel, d.done
	d.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	for _, w := range d.workers {
		w.stop()
	}
	if d.fwd != nil {
		d.fwd.stop()
	}
	return nil
}
