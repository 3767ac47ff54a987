package dispatch

import (
	"fmt"
	"slices"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/backoff"
)

// Route sends the alerts matching Matchers to Receivers, grouped by the
// GroupBy labels. The first matching route wins unless it sets Continue.
type Route struct {
	Matchers  alerting.Matchers
	Receivers []string
	// GroupBy lists the labels whose values split alerts into groups;
	// []string{"..."} groups by every label (one group per alert),
	// as Alertmanager's group_by: ['...'] does.
	GroupBy []string
	// GroupWait delays the first notification of a new group so that
	// alerts firing together arrive together (default 30s).
	GroupWait time.Duration
	// GroupInterval is the minimum time between notifications of one group
	// when its alerts change (default 5m).
	GroupInterval time.Duration
	// RepeatInterval re-sends an unchanged firing group (default 4h).
	RepeatInterval time.Duration
	Continue       bool
}

// groupByAll as the only GroupBy entry groups by all labels.
const groupByAll = "..."

// Backoff shapes the waits between delivery attempts: Initial, growing by
// Multiplier up to Max, each jittered to between half and all of that
// (so replicas retrying together spread out). Zero fields take the
// defaults (500ms, 2, 30s). It is a named alias so that code outside this
// module can write alerting.Backoff{Initial: time.Second, Max: time.Minute}.
type Backoff = backoff.Policy

// Receiver is a named notification channel.
type Receiver struct {
	Name     string
	Notifier Notifier
	// Fallback gets the notification when Notifier failed for good
	// (permanent error or retries exhausted): PagerDuty down ⇒ Telegram.
	Fallback Notifier
	// Timeout bounds one delivery attempt (default 10s).
	Timeout time.Duration
	// MaxAttempts bounds attempts per notification (default 8).
	MaxAttempts int
	// QueueSize bounds waiting notifications, at most one per group
	// (newer states coalesce); when full, the least informative is
	// dropped (default 256).
	QueueSize int
	// Backoff shapes the waits between attempts (default 500ms doubling to
	// 30s, with jitter).
	Backoff Backoff
	// MaxRetryAfter caps a server-requested wait (default 5m).
	MaxRetryAfter time.Duration
}

// WithRoute adds a route to a Dispatcher. Without routes every alert goes
// to every receiver, grouped by alertname.
func WithRoute(r Route) Option {
	return option("WithRoute", true, func(c *config) { c.routes = append(c.routes, r) })
}

// WithReceiver adds a receiver to a Dispatcher.
func WithReceiver(r Receiver) Option {
	return option("WithReceiver", true, func(c *config) { c.receivers = append(c.receivers, r) })
}

// WithInhibitRule adds an inhibition rule to a Dispatcher.
func WithInhibitRule(r InhibitRule) Option {
	return option("WithInhibitRule", true, func(c *config) { c.inhibits = append(c.inhibits, r) })
}

// WithMaintenanceWindow adds a maintenance window to a Dispatcher.
func WithMaintenanceWindow(w MaintenanceWindow) Option {
	return option("WithMaintenanceWindow", true, func(c *config) { c.maintenance = append(c.maintenance, w) })
}

// withTickInterval sets how often Start ticks (default 1s).
func withTickInterval(d time.Duration) Option {
	return option("WithTickInterval", false, func(c *config) { c.tickInterval = d })
}

// WithExternalURL sets the link put into notifications (the dashboard).
func WithExternalURL(u string) Option {
	return option("WithExternalURL", false, func(c *config) { c.externalURL = u })
}

func (r *Route) withDefaults() {
	if r.GroupWait == 0 {
		r.GroupWait = 30 * time.Second
	}
	if r.GroupInterval == 0 {
		r.GroupInterval = 5 * time.Minute
	}
	if r.RepeatInterval == 0 {
		r.RepeatInterval = 4 * time.Hour
	}
}

func (r *Receiver) withDefaults() {
	if r.Timeout == 0 {
		r.Timeout = 10 * time.Second
	}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 8
	}
	if r.QueueSize == 0 {
		r.QueueSize = 256
	}
	if r.MaxRetryAfter == 0 {
		r.MaxRetryAfter = 5 * time.Minute
	}
}

func (c *config) validate() error {
	if c.tickInterval <= 0 {
		return fmt.Errorf("%w: WithTickInterval: must be positive", alerting.ErrInvalidOption)
	}
	if c.am != nil {
		if err := c.am.validate(); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	rcv := map[string]*Receiver{}
	for i := range c.receivers {
		r := &c.receivers[i]
		switch {
		case r.Name == "":
			return fmt.Errorf("%w: WithReceiver: Name is required", alerting.ErrInvalidOption)
		case names[r.Name]:
			return fmt.Errorf("%w: WithReceiver: duplicate name %q", alerting.ErrInvalidOption, r.Name)
		case r.Notifier == nil:
			return fmt.Errorf("%w: WithReceiver %q: Notifier is required", alerting.ErrInvalidOption, r.Name)
		case r.Timeout < 0 || r.MaxAttempts < 0 || r.QueueSize < 0 || r.MaxRetryAfter < 0:
			return fmt.Errorf("%w: WithReceiver %q: Timeout, MaxAttempts, QueueSize and MaxRetryAfter must not be negative", alerting.ErrInvalidOption, r.Name)
		}
		names[r.Name] = true
		rcv[r.Name] = r
		r.withDefaults()
	}
	for i := range c.routes {
		r := &c.routes[i]
		if len(r.Receivers) == 0 {
			return fmt.Errorf("%w: WithRoute #%d: Receivers is empty", alerting.ErrInvalidOption, i)
		}
		for _, n := range r.Receivers {
			if !names[n] {
				return fmt.Errorf("%w: WithRoute #%d: unknown receiver %q", alerting.ErrInvalidOption, i, n)
			}
		}
		if r.GroupWait < 0 || r.GroupInterval < 0 || r.RepeatInterval < 0 {
			return fmt.Errorf("%w: WithRoute #%d: intervals must not be negative", alerting.ErrInvalidOption, i)
		}
		if len(r.GroupBy) > 1 && slices.Contains(r.GroupBy, groupByAll) {
			return fmt.Errorf("%w: WithRoute #%d: GroupBy: %q must be the only entry", alerting.ErrInvalidOption, i, groupByAll)
		}
		r.withDefaults()
		for _, n := range r.Receivers {
			if err := checkResend(i, r, rcv[n]); err != nil {
				return err
			}
		}
	}
	for i := range c.maintenance {
		if err := c.maintenance[i].validate(); err != nil {
			return err
		}
	}
	return nil
}

// resendIntervaler is implemented by notifiers whose receiving end forgets an
// alert unless it is sent again within an interval, as Alertmanager's API
// resolves an alert resolve_timeout after the last post. The Dispatcher
// refuses a route whose RepeatInterval would let such a receiver resolve
// a firing alert between two notifications.
type resendIntervaler interface {
	// ResendInterval is the longest time between two posts of a firing
	// alert that keeps it firing at the receiving end.
	ResendInterval() time.Duration
}

func checkResend(route int, r *Route, rc *Receiver) error {
	if rc == nil {
		return nil
	}
	for _, nt := range []Notifier{rc.Notifier, rc.Fallback} {
		rs, ok := nt.(resendIntervaler)
		if !ok {
			continue
		}
		if limit := rs.ResendInterval(); limit > 0 && r.resendPeriod() > limit {
			return fmt.Errorf("%w: WithRoute #%d: GroupInterval %v and RepeatInterval %v re-send a firing group every %v, "+
				"but receiver %q needs it at least every %v (its alerts would resolve between notifications)",
				alerting.ErrInvalidOption, route, r.GroupInterval, r.RepeatInterval, r.resendPeriod(), rc.Name, limit)
		}
	}
	return nil
}

// resendPeriod is how often an unchanged firing group is re-sent: repeats
// are due after RepeatInterval but only checked at group flushes, every
// GroupInterval.
func (r *Route) resendPeriod() time.Duration {
	if r.GroupInterval <= 0 {
		return r.RepeatInterval
	}
	n := (r.RepeatInterval + r.GroupInterval - 1) / r.GroupInterval
	return max(1, n) * r.GroupInterval
}

// resendLimit is the smallest ResendInterval among the receivers' notifiers
// (0: none needs re-sending).
func resendLimit(rcvs []Receiver) time.Duration {
	var limit time.Duration
	for _, rc := range rcvs {
		for _, nt := range []Notifier{rc.Notifier, rc.Fallback} {
			if rs, ok := nt.(resendIntervaler); ok {
				if l := rs.ResendInterval(); l > 0 && (limit == 0 || l < limit) {
					limit = l
				}
			}
		}
	}
	return limit
}
