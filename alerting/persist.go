package alerting

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackcode/igmon/alerting/internal/statefile"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/series"
)

// The alert states survive a restart (monitor.WithDataDir): the
// Evaluator encodes them as versioned JSON with marshalState and replaces
// them with unmarshalState; the monitor puts the bytes in crash-safe
// snapshot files. The silences and the notification log are
// alerting/dispatch's. The formats are private (internal/statefile).

type evaluatorState struct {
	V      int             `json:"v"`
	Alerts []savedInstance `json:"alerts"`
}

// savedInstance is an alert's state machine: what every saved alert has,
// plus what the evaluator needs to go on where it stopped.
type savedInstance struct {
	statefile.Alert
	LastTrue  time.Time   `json:"lastTrue,omitzero"`
	LastCond  bool        `json:"lastCond,omitempty"`
	Evaluated bool        `json:"evaluated,omitempty"`
	Flips     []time.Time `json:"flips,omitempty"`
}

// marshalState encodes the state of every pending, firing and resolved
// alert (start times, keep_firing_for and flap history included), for
// unmarshalState after a restart. It waits for a running cycle to end.
func (e *Evaluator) marshalState() ([]byte, error) {
	st := evaluatorState{V: statefile.Version, Alerts: []savedInstance{}}
	// The engine's lock is the one every cycle holds while it moves the
	// alerts' state machines.
	_ = e.eng.Register(func(*series.Store) error {
		for _, r := range e.rules {
			for _, in := range r.instances {
				if in == nil || in.state == StateInactive {
					continue
				}
				st.Alerts = append(st.Alerts, savedInstance{Alert: statefile.Alert{Rule: r.rule.Name, Fingerprint: in.fingerprint,
					Labels: in.labels, Annotations: in.annotations, State: in.state.String(), Value: statefile.Float(in.value),
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
		return fmt.Errorf("%w: alerts: %v", statefile.ErrState, err)
	}
	if err := statefile.CheckVersion("alerts", st.V); err != nil {
		return err
	}
	byName := make(map[string]*ruleState, len(e.rules))
	for _, r := range e.rules {
		byName[r.rule.Name] = r
	}
	now := e.cfg.Clock.Now()
	return e.eng.Register(func(*series.Store) error {
		for _, x := range st.Alerts {
			r := byName[x.Rule]
			var state State
			if err := state.UnmarshalText([]byte(x.State)); err != nil {
				return fmt.Errorf("%w: alerts: %v", statefile.ErrState, err)
			}
			if r == nil || state <= StateInactive || state > StateResolved {
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
			in.annotations, in.state, in.value = x.Annotations, state, float64(x.Value)
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

// snapshot adapts the Evaluator's state to the encoding interfaces the
// Monitor's data directory uses (internal/alerthook.State).
type snapshot struct {
	marshal   func() ([]byte, error)
	unmarshal func([]byte) error
}

func (s snapshot) MarshalBinary() ([]byte, error) { return s.marshal() }

func (s snapshot) UnmarshalBinary(b []byte) error { return s.unmarshal(b) }

func snapshotOf(x any) alerthook.Snapshot {
	if e, ok := x.(*Evaluator); ok {
		return snapshot{e.marshalState, e.unmarshalState}
	}
	panic(fmt.Sprintf("alerting: no state snapshot for %T", x))
}
