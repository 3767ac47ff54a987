package alerting

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/series"
)

// The state that survives a restart (monitor.WithDataDir): silences,
// alert states and the dispatcher's notification log. Each type encodes
// its state as versioned JSON with marshalState and replaces its state
// with unmarshalState; the monitor puts the bytes in crash-safe snapshot
// files. The formats are private: they change with this package, and
// stateVersion says which one a payload holds.

// stateVersion is the version of every payload below.
const stateVersion = 1

// errState is wrapped by unmarshalState errors.
var errState = errors.New("alerting: saved state")

func checkVersion(what string, v int) error {
	if v != stateVersion {
		return fmt.Errorf("%w: %s: format version %d, this build reads %d", errState, what, v, stateVersion)
	}
	return nil
}

// jsonFloat keeps NaN and ±Inf (a ratio with no traffic), which JSON
// numbers cannot hold.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

// --- silences ---

type silencesState struct {
	V        int            `json:"v"`
	Silences []savedSilence `json:"silences"`
}

type savedMatcher struct {
	Name  string    `json:"name"`
	Type  MatchType `json:"type"`
	Value string    `json:"value"`
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
	st := silencesState{V: stateVersion, Silences: make([]savedSilence, 0, len(ss.m))}
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
		return fmt.Errorf("%w: silences: %v", errState, err)
	}
	if err := checkVersion("silences", st.V); err != nil {
		return err
	}
	m := make(map[string]*Silence, len(st.Silences))
	for _, x := range st.Silences {
		s := &Silence{ID: x.ID, StartsAt: x.StartsAt, EndsAt: x.EndsAt, CreatedBy: x.CreatedBy,
			Comment: x.Comment, CreatedAt: x.CreatedAt, ExpiredBy: x.ExpiredBy}
		if x.ID == "" || len(x.ID) > 64 || m[x.ID] != nil {
			return fmt.Errorf("%w: silence %q: missing or repeated id", errState, x.ID)
		}
		for _, ms := range x.Matchers {
			mt, err := NewMatcher(ms.Type, ms.Name, ms.Value)
			if err != nil {
				return fmt.Errorf("%w: silence %s: %v", errState, x.ID, err)
			}
			s.Matchers = append(s.Matchers, mt)
		}
		if err := checkSilenceText(s); err != nil {
			return fmt.Errorf("%w: silence %s: %v", errState, x.ID, err)
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

// --- alert states (Evaluator) ---

type evaluatorState struct {
	V      int             `json:"v"`
	Alerts []savedInstance `json:"alerts"`
}

// savedInstance is an alert's state machine: what every saved alert has,
// plus what the evaluator needs to go on where it stopped.
type savedInstance struct {
	savedAlert
	LastTrue  time.Time   `json:"lastTrue,omitzero"`
	LastCond  bool        `json:"lastCond,omitempty"`
	Evaluated bool        `json:"evaluated,omitempty"`
	Flips     []time.Time `json:"flips,omitempty"`
}

// marshalState encodes the state of every pending, firing and resolved
// alert (start times, keep_firing_for and flap history included), for
// unmarshalState after a restart. It waits for a running cycle to end.
func (e *Evaluator) marshalState() ([]byte, error) {
	st := evaluatorState{V: stateVersion, Alerts: []savedInstance{}}
	// The engine's lock is the one every cycle holds while it moves the
	// alerts' state machines.
	_ = e.eng.Register(func(*series.Store) error {
		for _, r := range e.rules {
			for _, in := range r.instances {
				if in == nil || in.state == StateInactive {
					continue
				}
				st.Alerts = append(st.Alerts, savedInstance{savedAlert: savedAlert{Rule: r.rule.Name, Fingerprint: in.fingerprint,
					Labels: in.labels, Annotations: in.annotations, State: in.state, Value: jsonFloat(in.value),
					ActiveAt: in.activeAt, FiredAt: in.firedAt, ResolvedAt: in.resolvedAt, Flapping: in.flapping},
					LastTrue: in.lastTrue, LastCond: in.lastCond, Evaluated: in.evaluated, Flips: in.flips})
			}
		}
		return nil
	})
	return json.Marshal(st)
}

// unmarshalState restores alert states marshalState encoded, before
// Start. The restored alerts are evaluated again in the next cycle: one
// whose condition no longer holds resolves then (and its resolve is
// notified, when the Dispatcher's state was restored too). A firing alert
// of a rule over a metric window stays firing until the rule has read a
// whole window since the restore, since the counters started over. An alert whose
// rule is gone or now yields other labels is dropped. Alerts lists the
// restored alerts until the first cycle.
func (e *Evaluator) unmarshalState(b []byte) error {
	if e.started.Load() {
		return errors.New("alerting: evaluator: restore after Start")
	}
	var st evaluatorState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: alerts: %v", errState, err)
	}
	if err := checkVersion("alerts", st.V); err != nil {
		return err
	}
	byName := make(map[string]*ruleState, len(e.rules))
	for _, r := range e.rules {
		byName[r.rule.Name] = r
	}
	now := e.cfg.clock.Now()
	return e.eng.Register(func(*series.Store) error {
		for _, x := range st.Alerts {
			r := byName[x.Rule]
			if r == nil || x.State <= StateInactive || x.State > StateResolved {
				continue
			}
			var g int32
			if _, ok := r.rule.Condition.(*CheckState); ok {
				name := x.Labels["igmon.check.name"]
				if name == "" {
					continue
				}
				g = r.checkGroup(name)
			} else {
				g = r.grp.AddLabels(x.Labels)
			}
			nv := r.nvariants()
			v := 0
			if len(r.variants) > 0 {
				if v = slices.Index(r.variants, x.Labels["severity"]); v < 0 {
					continue
				}
			}
			i := int(g)*nv + v
			if len(r.instances) <= i {
				r.instances = append(r.instances, make([]*instance, i+1-len(r.instances))...)
			}
			in := r.newInstance(i)
			if in.fingerprint != x.Fingerprint {
				continue // the rule changed: its labels are not the saved ones
			}
			in.annotations, in.state, in.value = x.Annotations, x.State, float64(x.Value)
			in.activeAt, in.firedAt, in.resolvedAt, in.lastTrue = x.ActiveAt, x.FiredAt, x.ResolvedAt, x.LastTrue
			in.lastCond, in.evaluated, in.flapping, in.flips = x.LastCond, x.Evaluated, x.Flapping, x.Flips
			if hold := r.restoreHold(); hold > 0 {
				in.holdUntil = now.Add(hold)
			}
			r.instances[i] = in
		}
		// Alerts lists the restored alerts until the first cycle.
		var out []Alert
		for _, r := range e.rules {
			for _, in := range r.instances {
				if in != nil && in.state != StateInactive {
					out = append(out, r.alert(in))
				}
			}
		}
		slices.SortFunc(out, func(a, b Alert) int {
			return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Fingerprint, b.Fingerprint))
		})
		if out == nil {
			out = []Alert{}
		}
		e.snap.Store(&out)
		return nil
	})
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
	Key       string       `json:"key"`
	NextFlush time.Time    `json:"nextFlush"`
	Flushed   bool         `json:"flushed,omitempty"`
	LastSent  time.Time    `json:"lastSent,omitzero"`
	Notified  []string     `json:"notified,omitempty"`
	Last      []string     `json:"last,omitempty"`
	Alerts    []savedAlert `json:"alerts"`
}

type savedAlert struct {
	Rule        string            `json:"rule"`
	Fingerprint string            `json:"fingerprint"`
	Labels      Labels            `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	State       State             `json:"state"`
	Value       jsonFloat         `json:"value"`
	ActiveAt    time.Time         `json:"activeAt,omitzero"`
	FiredAt     time.Time         `json:"firedAt,omitzero"`
	ResolvedAt  time.Time         `json:"resolvedAt,omitzero"`
	Flapping    bool              `json:"flapping,omitempty"`
}

// marshalState encodes the notification log: per alert group, the alerts
// it holds, which of them the route's receivers were told are firing, when
// the group was last sent and when it flushes next. Restored, it keeps an
// unchanged firing group from being sent again before its repeat
// interval, and lets a resolve reach the receivers that were told of the
// firing.
func (d *Dispatcher) marshalState() ([]byte, error) {
	st := dispatcherState{V: stateVersion, Groups: []savedGroup{}}
	d.mu.Lock()
	for _, k := range slices.Sorted(maps.Keys(d.groups)) {
		g := d.groups[k]
		x := savedGroup{Route: routeIndex(d.routes, g.route), Key: g.route.groupKeyPrefix() + g.labels.String(), NextFlush: g.nextFlush, Flushed: g.flushed,
			LastSent: g.lastSent, Notified: slices.Sorted(maps.Keys(g.notified)), Last: slices.Sorted(maps.Keys(g.last))}
		for _, fp := range slices.Sorted(maps.Keys(g.alerts)) {
			a := &g.alerts[fp].alert
			x.Alerts = append(x.Alerts, savedAlert{Rule: a.Rule, Fingerprint: a.Fingerprint, Labels: a.Labels,
				Annotations: a.Annotations, State: a.State, Value: jsonFloat(a.Value), ActiveAt: a.ActiveAt,
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
		return fmt.Errorf("%w: notification log: %v", errState, err)
	}
	if err := checkVersion("notification log", st.V); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.alerts, d.groups, d.firing = map[string]*alertEntry{}, map[string]*group{}, map[string]Alert{}
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
			if xa.State != StateFiring && xa.State != StateResolved {
				continue
			}
			if k, _ := groupKey(r, x.Route, xa.Labels); k != key {
				continue
			}
			e := d.alerts[xa.Fingerprint]
			if e == nil {
				e = &alertEntry{alert: Alert{Rule: xa.Rule, Fingerprint: xa.Fingerprint, Labels: xa.Labels,
					Annotations: xa.Annotations, State: xa.State, Value: float64(xa.Value), ActiveAt: xa.ActiveAt,
					FiredAt: xa.FiredAt, ResolvedAt: xa.ResolvedAt, Flapping: xa.Flapping}}
				d.alerts[xa.Fingerprint] = e
				if len(d.cfg.inhibits) > 0 && e.alert.State == StateFiring {
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
		if e.alert.State == StateFiring {
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
		if e := d.alerts[fp]; e != nil && e.alert.State == StateFiring {
			e.alert.State, e.alert.ResolvedAt = StateResolved, now
			delete(d.firing, fp)
		}
	}
	d.unconfirmed = nil
}

// restoreHold is how long a restored firing alert of r ignores a false
// condition: one window of the rule (an SLO's shortest), as metric
// windows start empty after a restart; none for rules that read no
// windows (check states, thresholds on gauges).
func (r *ruleState) restoreHold() time.Duration {
	if len(r.sels) == 0 {
		return 0
	}
	if len(r.sloWins) > 0 {
		return slices.Min(r.sloWins)
	}
	return r.window
}

// snapshot adapts one piece of state to the encoding interfaces the
// Monitor's data directory uses (internal/alerthook.State).
type snapshot struct {
	marshal   func() ([]byte, error)
	unmarshal func([]byte) error
}

func (s snapshot) MarshalBinary() ([]byte, error) { return s.marshal() }

func (s snapshot) UnmarshalBinary(b []byte) error { return s.unmarshal(b) }

func snapshotOf(x any) alerthook.Snapshot {
	switch v := x.(type) {
	case *Silences:
		return snapshot{v.marshalState, v.unmarshalState}
	case *Evaluator:
		return snapshot{v.marshalState, v.unmarshalState}
	case *Dispatcher:
		return snapshot{v.marshalState, v.unmarshalState}
	}
	panic(fmt.Sprintf("alerting: no state snapshot for %T", x))
}
