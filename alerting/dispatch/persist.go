package dispatch

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/statefile"
	"github.com/jackcode/igmon/internal/alerthook"
)

// The state that survives a restart (monitor.WithDataDir): silences and
// the dispatcher's notification log. Each type encodes its state as
// versioned JSON with marshalState and replaces its state with
// unmarshalState; the monitor puts the bytes in crash-safe snapshot
// files. The formats are private (internal/statefile).

// --- silences ---

type silencesState struct {
	V        int            `json:"v"`
	Silences []savedSilence `json:"silences"`
}

type savedMatcher struct {
	Name  string             `json:"name"`
	Type  alerting.MatchType `json:"type"`
	Value string             `json:"value"`
}

type savedSilence struct {
	ID        string         `json:"id"`
	Matchers  []savedMatcher `json:"matchers"`
	StartsAt  time.Time      `json:"startsAt"`
	EndsAt    time.Time      `json:"endsAt"`
	CreatedBy string         `json:"createdBy"`
	Comment   string         `json:"comment"`
	CreatedAt time.Time      `json:"createdAt"`
	ExpiredBy string         `json:"expiredBy,omitempty"`
}

// marshalState encodes every silence the set holds, active and recently
// expired, with their end times, for unmarshalState after a restart.
func (ss *Silences) marshalState() ([]byte, error) {
	ss.mu.RLock()
	st := silencesState{V: statefile.Version, Silences: make([]savedSilence, 0, len(ss.m))}
	for _, s := range ss.m {
		x := savedSilence{ID: s.ID, StartsAt: s.StartsAt, EndsAt: s.EndsAt, CreatedBy: s.CreatedBy,
			Comment: s.Comment, CreatedAt: s.CreatedAt, ExpiredBy: s.ExpiredBy}
		for _, m := range s.Matchers {
			x.Matchers = append(x.Matchers, savedMatcher{Name: m.Name, Type: m.Type, Value: m.Value})
		}
		st.Silences = append(st.Silences, x)
	}
	ss.mu.RUnlock()
	slices.SortFunc(st.Silences, func(a, b savedSilence) int { return cmp.Compare(a.ID, b.ID) })
	return json.Marshal(st)
}

// unmarshalState replaces the set's silences with those marshalState
// encoded. Silences past the set's retention are left out. Listeners
// (subscribe) are not told: nothing was created or expired. Every silence
// passes the same text checks as Add; one that does not fails the whole
// restore with an error naming it.
func (ss *Silences) unmarshalState(b []byte) error {
	var st silencesState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: silences: %v", statefile.ErrState, err)
	}
	if err := statefile.CheckVersion("silences", st.V); err != nil {
		return err
	}
	m := make(map[string]*Silence, len(st.Silences))
	for _, x := range st.Silences {
		s := &Silence{ID: x.ID, StartsAt: x.StartsAt, EndsAt: x.EndsAt, CreatedBy: x.CreatedBy,
			Comment: x.Comment, CreatedAt: x.CreatedAt, ExpiredBy: x.ExpiredBy}
		if x.ID == "" || len(x.ID) > 64 || m[x.ID] != nil {
			return fmt.Errorf("%w: silence %q: missing or repeated id", statefile.ErrState, x.ID)
		}
		for _, ms := range x.Matchers {
			mt, err := alerting.NewMatcher(ms.Type, ms.Name, ms.Value)
			if err != nil {
				return fmt.Errorf("%w: silence %s: %v", statefile.ErrState, x.ID, err)
			}
			s.Matchers = append(s.Matchers, mt)
		}
		if err := checkSilenceText(s); err != nil {
			return fmt.Errorf("%w: silence %s: %v", statefile.ErrState, x.ID, err)
		}
		m[s.ID] = s
	}
	now := ss.clock.Now()
	ss.mu.Lock()
	ss.m = m
	ss.gcLocked(now)
	ss.mu.Unlock()
	return nil
}

// --- notification log (Dispatcher) ---

type dispatcherState struct {
	V      int          `json:"v"`
	Groups []savedGroup `json:"groups"`
}

type savedGroup struct {
	Route int `json:"route"`
	// Key is the group's key as notifications carry it (route
	// matchers, group labels): a group whose route now groups otherwise
	// does not match it.
	Key       string            `json:"key"`
	NextFlush time.Time         `json:"nextFlush"`
	Flushed   bool              `json:"flushed,omitempty"`
	LastSent  time.Time         `json:"lastSent,omitzero"`
	Notified  []string          `json:"notified,omitempty"`
	Last      []string          `json:"last,omitempty"`
	Alerts    []statefile.Alert `json:"alerts"`
}

// marshalState encodes the notification log: per alert group, the alerts
// it holds, which of them the route's receivers were told are firing, when
// the group was last sent and when it flushes next. Restored, it keeps an
// unchanged firing group from being sent again before its repeat
// interval, and lets a resolve reach the receivers that were told of the
// firing.
func (d *Dispatcher) marshalState() ([]byte, error) {
	st := dispatcherState{V: statefile.Version, Groups: []savedGroup{}}
	d.mu.Lock()
	for _, k := range slices.Sorted(maps.Keys(d.groups)) {
		g := d.groups[k]
		x := savedGroup{Route: routeIndex(d.routes, g.route), Key: g.route.groupKeyPrefix() + g.labels.String(), NextFlush: g.nextFlush, Flushed: g.flushed,
			LastSent: g.lastSent, Notified: slices.Sorted(maps.Keys(g.notified)), Last: slices.Sorted(maps.Keys(g.last))}
		for _, fp := range slices.Sorted(maps.Keys(g.alerts)) {
			a := &g.alerts[fp].alert
			x.Alerts = append(x.Alerts, statefile.Alert{Rule: a.Rule, Fingerprint: a.Fingerprint, Labels: a.Labels,
				Annotations: a.Annotations, State: a.State.String(), Value: statefile.Float(a.Value), ActiveAt: a.ActiveAt,
				FiredAt: a.FiredAt, ResolvedAt: a.ResolvedAt, Flapping: a.Flapping})
		}
		st.Groups = append(st.Groups, x)
	}
	d.mu.Unlock()
	return json.Marshal(st)
}

func routeIndex(routes []Route, r *Route) int {
	for i := range routes {
		if &routes[i] == r {
			return i
		}
	}
	return -1
}

// unmarshalState replaces the notification log with one marshalState
// encoded, before the first Receive. A group whose route is gone or now
// groups otherwise is dropped. The first Receive after it is taken as the
// whole set of alerts, as an Evaluator sends every cycle: a restored firing
// alert it does not mention (its rule is gone, or the evaluator's state
// was lost) resolves, so the receivers that were told it fired are told it
// ended.
func (d *Dispatcher) unmarshalState(b []byte) error {
	var st dispatcherState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: notification log: %v", statefile.ErrState, err)
	}
	if err := statefile.CheckVersion("notification log", st.V); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.alerts, d.groups, d.firing = map[string]*alertEntry{}, map[string]*group{}, map[string]alerting.Alert{}
	for _, x := range st.Groups {
		if x.Route < 0 || x.Route >= len(d.routes) || len(x.Alerts) == 0 {
			continue
		}
		r := &d.routes[x.Route]
		key, gl := groupKey(r, x.Route, x.Alerts[0].Labels)
		if r.groupKeyPrefix()+gl.String() != x.Key {
			continue
		}
		g := &group{key: key, route: r, labels: gl, alerts: map[string]*alertEntry{}, nextFlush: x.NextFlush,
			flushed: x.Flushed, lastSent: x.LastSent, notified: map[string]bool{}, last: map[string]bool{}}
		for _, fp := range x.Notified {
			g.notified[fp] = true
		}
		for _, fp := range x.Last {
			g.last[fp] = true
		}
		for _, xa := range x.Alerts {
			var state alerting.State
			if err := state.UnmarshalText([]byte(xa.State)); err != nil {
				return fmt.Errorf("%w: notification log: %v", statefile.ErrState, err)
			}
			if state != alerting.StateFiring && state != alerting.StateResolved {
				continue
			}
			if k, _ := groupKey(r, x.Route, xa.Labels); k != key {
				continue
			}
			e := d.alerts[xa.Fingerprint]
			if e == nil {
				e = &alertEntry{alert: alerting.Alert{Rule: xa.Rule, Fingerprint: xa.Fingerprint, Labels: xa.Labels,
					Annotations: xa.Annotations, State: state, Value: float64(xa.Value), ActiveAt: xa.ActiveAt,
					FiredAt: xa.FiredAt, ResolvedAt: xa.ResolvedAt, Flapping: xa.Flapping}}
				d.alerts[xa.Fingerprint] = e
				if len(d.cfg.inhibits) > 0 && e.alert.State == alerting.StateFiring {
					d.firing[xa.Fingerprint] = e.alert
				}
			}
			if _, ok := g.alerts[xa.Fingerprint]; !ok {
				g.alerts[xa.Fingerprint] = e
				e.groups++
			}
		}
		if len(g.alerts) > 0 {
			d.groups[key] = g
		}
	}
	d.unconfirmed = map[string]bool{}
	for fp, e := range d.alerts {
		if e.alert.State == alerting.StateFiring {
			d.unconfirmed[fp] = true
		}
	}
	return nil
}

// resolveUnconfirmed resolves the restored firing alerts the first Receive
// after a restore did not mention. The caller holds d.mu.
func (d *Dispatcher) resolveUnconfirmed(now time.Time) {
	if d.unconfirmed == nil {
		return
	}
	for fp := range d.unconfirmed {
		if e := d.alerts[fp]; e != nil && e.alert.State == alerting.StateFiring {
			e.alert.State, e.alert.ResolvedAt = alerting.StateResolved, now
			delete(d.firing, fp)
		}
	}
	d.unconfirmed = nil
}

// snapshot adapts one piece of state to the encoding interfaces the
// Monitor's data directory uses (internal/alerthook.State).
type snapshot struct {
	marshal   func() ([]byte, error)
	unmarshal func([]byte) error
}

func (s snapshot) MarshalBinary() ([]byte, error) { return s.marshal() }

func (s snapshot) UnmarshalBinary(b []byte) error { return s.unmarshal(b) }

// snapshotOf is internal/alerthook.State for the silences and the
// notification log; anything else goes to alerting's (next).
func snapshotOf(next func(any) alerthook.Snapshot) func(any) alerthook.Snapshot {
	return func(x any) alerthook.Snapshot {
		switch v := x.(type) {
		case *Silences:
			return snapshot{v.marshalState, v.unmarshalState}
		case *Dispatcher:
			return snapshot{v.marshalState, v.unmarshalState}
		}
		return next(x)
	}
}
