package dispatch

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/dispatchview"
)

// The dispatcher as the HTTP API (alerting/httpapi) reads it: a copy taken
// under its lock and handed out through internal/dispatchview, so the API
// applies the dispatcher's own rules without reading its fields.
func init() {
	dispatchview.Of = func(d any) dispatchview.Snapshot { return d.(*Dispatcher).snapshot() }
	dispatchview.Now = func(d any) time.Time { return d.(*Dispatcher).cfg.Clock.Now() }
}

// dispatchSnapshot implements dispatchview.Snapshot. The routes, receivers,
// inhibition rules and maintenance windows are the dispatcher's own: they
// never change after NewDispatcher. Everything else is a copy.
type dispatchSnapshot struct {
	now         time.Time
	routes      []Route
	receivers   []string
	inhibits    []InhibitRule
	maintenance []MaintenanceWindow
	silences    []Silence                 // active at now, by ID
	firing      map[string]alerting.Alert // the inhibition sources, by fingerprint
	alerts      []dispatchview.Alert
	groups      []dispatchview.Group
}

func viewAlert(a *alerting.Alert) dispatchview.Alert {
	return dispatchview.Alert{Fingerprint: a.Fingerprint, Labels: a.Labels, Annotations: a.Annotations, FiredAt: a.FiredAt}
}

func byFingerprint(a, b dispatchview.Alert) int { return cmp.Compare(a.Fingerprint, b.Fingerprint) }

func (d *Dispatcher) snapshot() *dispatchSnapshot {
	s := &dispatchSnapshot{now: d.cfg.Clock.Now(), routes: d.routes, inhibits: d.cfg.inhibits, maintenance: d.cfg.maintenance}
	for _, r := range d.cfg.receivers {
		s.receivers = append(s.receivers, r.Name)
	}
	for _, sl := range d.silences.List() {
		if sl.active(s.now) {
			s.silences = append(s.silences, sl)
		}
	}
	slices.SortFunc(s.silences, func(a, b Silence) int { return cmp.Compare(a.ID, b.ID) })
	d.mu.Lock()
	s.firing = maps.Clone(d.firing)
	seen := map[string]bool{}
	for fp, e := range d.alerts {
		if e.alert.State == alerting.StateFiring {
			s.alerts, seen[fp] = append(s.alerts, viewAlert(&e.alert)), true
		}
	}
	for fp, a := range d.firing {
		if !seen[fp] {
			s.alerts = append(s.alerts, viewAlert(&a))
		}
	}
	for key, g := range d.groups {
		vg := dispatchview.Group{Key: key, Labels: maps.Clone(g.labels), Receivers: slices.Clone(g.route.Receivers)}
		for _, e := range g.alerts {
			if e.alert.State == alerting.StateFiring {
				vg.Alerts = append(vg.Alerts, viewAlert(&e.alert))
			}
		}
		if len(vg.Alerts) > 0 {
			slices.SortFunc(vg.Alerts, byFingerprint)
			s.groups = append(s.groups, vg)
		}
	}
	d.mu.Unlock()
	slices.SortFunc(s.alerts, byFingerprint)
	slices.SortFunc(s.groups, func(a, b dispatchview.Group) int { return cmp.Compare(a.Key, b.Key) })
	return s
}

func (s *dispatchSnapshot) Now() time.Time               { return s.now }
func (s *dispatchSnapshot) Receivers() []string          { return s.receivers }
func (s *dispatchSnapshot) Firing() []dispatchview.Alert { return s.alerts }
func (s *dispatchSnapshot) Groups() []dispatchview.Group { return s.groups }

func (s *dispatchSnapshot) Status(fingerprint string, labels map[string]string) dispatchview.Status {
	a := alerting.Alert{Fingerprint: fingerprint, Labels: labels, State: alerting.StateFiring}
	st := dispatchview.Status{Receivers: []string{}, SilencedBy: []string{}, InhibitedBy: []string{}, MutedBy: []string{}}
	eachRoute(s.routes, a.Labels, func(_ int, r *Route) {
		for _, n := range r.Receivers {
			if !slices.Contains(st.Receivers, n) {
				st.Receivers = append(st.Receivers, n)
			}
		}
	})
	for _, sl := range s.silences {
		if sl.Matchers.Matches(a.Labels) {
			st.SilencedBy = append(st.SilencedBy, sl.ID)
		}
	}
	for src := range inhibitors(s.inhibits, s.firing, &a) {
		if !slices.Contains(st.InhibitedBy, src.Fingerprint) {
			st.InhibitedBy = append(st.InhibitedBy, src.Fingerprint)
		}
	}
	slices.Sort(st.InhibitedBy)
	for i := range s.maintenance {
		w := &s.maintenance[i]
		if w.Matchers.Matches(a.Labels) && w.activeAt(s.now) && !slices.Contains(st.MutedBy, w.Name) {
			st.MutedBy = append(st.MutedBy, w.Name)
		}
	}
	return st
}
