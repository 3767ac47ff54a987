package monitor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/buildinfo"
	igname "github.com/jackcode/igmon/internal/name"
	"github.com/jackcode/igmon/internal/series"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// ActionMode says what happens when an action's alert fires.
type ActionMode uint8

// Action modes.
const (
	// ActionAuto runs the action when its alert fires.
	ActionAuto ActionMode = iota
	// ActionDryRun records in the event log what the action would do and
	// runs nothing: the way to try a new action on real alerts.
	ActionDryRun
	// ActionApproval holds the action until an authorized operator
	// approves it on the dashboard.
	ActionApproval
)

// Defaults of an Action.
const (
	defaultActionInterval = 10 * time.Minute
	defaultActionTimeout  = 30 * time.Second
	// maxPendingActions bounds the actions waiting for approval.
	maxPendingActions = 32
)

// eventAction is the event kind of an alert action: triggered, dry run,
// waiting for approval, rate-limited, run and its result.
const eventAction = "action"

// Action is Go code an alert rule triggers, for the fixes that are
// mechanical and urgent: "switch PSP", "disable game provider X in the
// lobby". Every trigger, run, result and author is recorded in the event
// log; the page shows actions waiting for approval.
type Action struct {
	// Name identifies the action in events and metrics: 1 to 64 bytes of
	// [A-Za-z0-9._-], unique per Monitor.
	Name string
	// Rule is the alert rule whose alerts trigger the action, each time
	// one of them starts firing.
	Rule string
	// Mode is ActionAuto, ActionDryRun or ActionApproval.
	Mode ActionMode
	// MinInterval is the rate limit: the least time between two runs
	// (10 minutes when 0). A trigger within it is recorded and
	// dropped.
	MinInterval time.Duration
	// Timeout bounds a run (30 seconds when 0).
	Timeout time.Duration
	// Run does the work for the alert that triggered it. It runs on its
	// own goroutine; its context ends at Timeout or at Shutdown.
	Run func(ctx context.Context, a alerting.Alert) error
}

// WithAction registers an alert action; it needs WithAlerting and a rule
// named Action.Rule.
func WithAction(a Action) Option {
	return optionFunc(func(c *config) {
		if err := igname.Validate(a.Name); err != nil {
			c.fail("WithAction", "Name: %v", err)
		}
		if a.Run == nil {
			c.fail("WithAction", "action %q: Run must not be nil", a.Name)
		}
		if a.Mode > ActionApproval {
			c.fail("WithAction", "action %q: Mode %d is not ActionAuto, ActionDryRun or ActionApproval", a.Name, a.Mode)
		}
		if a.MinInterval < 0 || a.Timeout < 0 {
			c.fail("WithAction", "action %q: MinInterval and Timeout must not be negative", a.Name)
		}
		for _, o := range c.actions {
			if o.Name == a.Name {
				c.fail("WithAction", "action %q is registered twice", a.Name)
			}
		}
		if a.MinInterval == 0 {
			a.MinInterval = defaultActionInterval
		}
		if a.Timeout == 0 {
			a.Timeout = defaultActionTimeout
		}
		c.actions = append(c.actions, a)
	})
}

// errRateLimited is returned for a run the rate limit refuses.
var errRateLimited = errors.New("rate-limited")

// actionRunner triggers the registered actions on alert transitions.
type actionRunner struct {
	m       *Monitor
	actions []Action
	runs    metric.Int64Counter
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	lastRun map[string]time.Time // by action
	firing  map[string]bool      // action + alert fingerprint seen firing last cycle
	pending []pendingAction
	seq     int
	stopped bool
}

type pendingAction struct {
	id    string
	act   *Action
	alert alerting.Alert
	at    time.Time
}

// initActions wires the registered actions; they read the alerts of each
// engine cycle.
func (m *Monitor) initActions() error {
	if len(m.cfg.actions) == 0 {
		return nil
	}
	if m.alerting == nil {
		return errors.New("monitor: option WithAction: needs WithAlerting")
	}
	for _, a := range m.cfg.actions {
		if _, ok := m.alerting.rules[a.Rule]; !ok {
			return fmt.Errorf("monitor: option WithAction: action %q: no alert rule named %q", a.Name, a.Rule)
		}
	}
	r := &actionRunner{m: m, actions: m.cfg.actions, lastRun: map[string]time.Time{}, firing: map[string]bool{}}
	var err error
	if r.runs, err = m.mp.Meter(scopeName, buildinfo.MeterOptions()...).Int64Counter("igmon.action.runs", metric.WithUnit("{run}"),
		metric.WithDescription("Alert actions triggered, by action and result: ok, error, dry_run, pending, rate_limited.")); err != nil {
		return fmt.Errorf("monitor: actions: %w", err)
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	m.actions = r
	m.engine.OnCycle(r.cycle)
	return nil
}

// cycle triggers the actions of the alerts that started firing.
func (r *actionRunner) cycle(c *series.Cycle) {
	alerts := r.m.alerting.eval.Alerts()
	now := c.Now
	r.mu.Lock()
	firing := map[string]bool{}
	var fire []func()
	for i := range r.actions {
		act := &r.actions[i]
		for _, a := range alerts {
			if a.Rule != act.Rule || a.State != alerting.StateFiring {
				continue
			}
			key := act.Name + "\x00" + a.Fingerprint
			firing[key] = true
			if !r.firing[key] {
				fire = append(fire, r.triggerLocked(act, a, now))
			}
		}
	}
	r.firing = firing
	// An approval asked for an alert that has resolved is stale: drop it.
	kept := r.pending[:0]
	for _, p := range r.pending {
		if firing[p.act.Name+"\x00"+p.alert.Fingerprint] {
			kept = append(kept, p)
			continue
		}
		fire = append(fire, func() {
			r.record(p.act, p.alert, "dropped", "alert "+alertName(p.alert), severityInfo, p.act.Name+" for "+alertName(p.alert)+" no longer awaits approval: the alert resolved ("+p.id+")")
		})
	}
	clear(r.pending[len(kept):])
	r.pending = kept
	r.mu.Unlock()
	for _, f := range fire {
		f()
	}
}

// triggerLocked decides what a trigger does and returns it, to be done
// once r.mu is released. Callers hold r.mu.
func (r *actionRunner) triggerLocked(act *Action, a alerting.Alert, now time.Time) func() {
	by := "alert " + alertName(a)
	switch act.Mode {
	case ActionDryRun:
		if wait, limited := r.limitedLocked(act, now); limited {
			return func() {
				r.record(act, a, "rate_limited", by, severityWarning, "dry run of "+act.Name+" rate-limited: next in "+wait.String())
			}
		}
		r.lastRun[act.Name] = now
		return func() {
			r.record(act, a, "dry_run", by, severityInfo, "dry run: would run "+act.Name+" for "+alertName(a))
		}
	case ActionApproval:
		for _, p := range r.pending {
			if p.act == act && p.alert.Fingerprint == a.Fingerprint {
				return func() {}
			}
		}
		if len(r.pending) >= maxPendingActions {
			return func() {
				r.record(act, a, "dropped", by, severityWarning, act.Name+" for "+alertName(a)+" dropped: "+strconv.Itoa(maxPendingActions)+" actions already await approval")
			}
		}
		r.seq++
		id := act.Name + "-" + strconv.Itoa(r.seq)
		r.pending = append(r.pending, pendingAction{id: id, act: act, alert: a, at: now})
		return func() {
			r.record(act, a, "pending", by, severityWarning, act.Name+" for "+alertName(a)+" awaits an operator's approval ("+id+")")
		}
	}
	return r.runLocked(act, a, by, now)
}

// limitedLocked reports whether the rate limit refuses a run now.
func (r *actionRunner) limitedLocked(act *Action, now time.Time) (time.Duration, bool) {
	last, ok := r.lastRun[act.Name]
	if ok && now.Sub(last) < act.MinInterval {
		return (act.MinInterval - now.Sub(last)).Round(time.Second), true
	}
	return 0, false
}

// runLocked starts a run unless the rate limit refuses it. Callers hold
// r.mu; the returned func records what happened.
func (r *actionRunner) runLocked(act *Action, a alerting.Alert, by string, now time.Time) func() {
	if wait, limited := r.limitedLocked(act, now); limited {
		return func() {
			r.record(act, a, "rate_limited", by, severityWarning, act.Name+" for "+alertName(a)+" rate-limited: next run allowed in "+wait.String())
		}
	}
	if r.stopped {
		return func() {}
	}
	r.lastRun[act.Name] = now
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := r.call(act, a)
		if err != nil {
			r.record(act, a, "error", by, severityCritical, act.Name+" for "+alertName(a)+" by "+by+" failed: "+err.Error())
			return
		}
		r.record(act, a, "ok", by, severityInfo, act.Name+" for "+alertName(a)+" by "+by+": done")
	}()
	return func() {}
}

// call runs an action within its timeout; a panic is its error.
func (r *actionRunner) call(act *Action, a alerting.Alert) (err error) {
	ctx, cancel := context.WithTimeout(r.ctx, act.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return act.Run(ctx, a)
}

func (r *actionRunner) record(act *Action, a alerting.Alert, result, by, sev, msg string) {
	r.runs.Add(context.Background(), 1, metric.WithAttributes(attribute.String("igmon.action.name", act.Name), attribute.String("igmon.action.result", result)))
	r.m.events.Record(timelineEvent{Component: act.Name, Kind: eventAction, Severity: sev, Message: msg,
		Attrs: map[string]string{"action": act.Name, "rule": a.Rule, "result": result, "author": by, "mode": act.Mode.String()}})
}

// approve runs a pending action on an operator's behalf.
func (r *actionRunner) approve(id, author string) error {
	r.mu.Lock()
	i := slices.IndexFunc(r.pending, func(p pendingAction) bool { return p.id == id })
	if i < 0 {
		r.mu.Unlock()
		return fmt.Errorf("%w: no pending action %s", dashboard.ErrNotFound, id)
	}
	p := r.pending[i]
	now := r.m.engine.Now()
	if wait, limited := r.limitedLocked(p.act, now); limited {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s is %w: next run allowed in %s", dashboard.ErrInvalid, p.act.Name, errRateLimited, wait)
	}
	r.pending = slices.Delete(r.pending, i, i+1)
	done := r.runLocked(p.act, p.alert, "operator "+author, now)
	r.mu.Unlock()
	done()
	return nil
}

func (r *actionRunner) pendingList() []dashboard.PendingAction {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]dashboard.PendingAction, 0, len(r.pending))
	for _, p := range r.pending {
		out = append(out, dashboard.PendingAction{ID: p.id, Action: p.act.Name, Alert: alertName(p.alert), Since: p.at})
	}
	return out
}

// stop ends the runs in flight (their contexts are canceled) and waits
// for them.
func (r *actionRunner) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// alertName writes an alert as its rule and labels: DependencyErrorRate{igmon.dependency.name="stripe"}.
func alertName(a alerting.Alert) string {
	keys := slices.Collect(maps.Keys(a.Labels))
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if k == "alertname" || k == "severity" {
			continue
		}
		parts = append(parts, k+"="+strconv.Quote(a.Labels[k]))
	}
	return a.Rule + "{" + strings.Join(parts, ", ") + "}"
}

// String returns auto, dry_run or approval.
func (m ActionMode) String() string {
	switch m {
	case ActionAuto:
		return "auto"
	case ActionDryRun:
		return "dry_run"
	case ActionApproval:
		return "approval"
	}
	return "unknown"
}

// ApproveAction implements dashboard.ActionApprover.
func (a pageActions) ApproveAction(ctx context.Context, id, author string) error {
	if a.m.actions == nil {
		return fmt.Errorf("%w: no action awaits approval", dashboard.ErrNotFound)
	}
	return a.m.actions.approve(id, author)
}
