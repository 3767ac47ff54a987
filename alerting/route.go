package alerting

import (
	"fmt"
	"time"

	"github.com/jackcode/igmon/internal/backoff"
)

// Route sends the alerts matching Matchers to Receivers, grouped by the
// GroupBy labels. The first matching route wins unless it sets Continue.
type Route struct {
	Matchers  Matchers
	Receivers []string
	GroupBy   []string
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
	// QueueSize bounds waiting notifications; the oldest is dropped when
	// full (default 256).
	QueueSize int
	// Backoff shapes the waits between attempts (default 500ms doubling to
	// 30s, with jitter).
	Backoff backoff.Policy
	// MaxRetryAfter caps a server-requested wait (default 5m).
	MaxRetryAfter time.Duration
}

// WithRoute adds a route to a Dispatcher. Without routes every alert goes
// to every receiver, grouped by alertname.
func WithRoute(r Route) Option {
	return optionFunc(func(c *config) { c.routes = append(c.routes, r) })
}

// WithReceiver adds a receiver to a Dispatcher.
func WithReceiver(r Receiver) Option {
	return optionFunc(func(c *config) { c.receivers = append(c.receivers, r) })
}

// WithInhibitRule adds an inhibition rule to a Dispatcher.
func WithInhibitRule(r InhibitRule) Option {
	return optionFunc(func(c *config) { c.inhibits = append(c.inhibits, r) })
}

// WithMaintenanceWindow adds a maintenance window to a Dispatcher.
func WithMaintenanceWindow(w MaintenanceWindow) Option {
	return optionFunc(func(c *config) { c.maintenance = append(c.maintenance, w) })
}

// WithSilences shares a silence set (for example with a Handler); by
// default the Dispatcher makes its own.
func WithSilences(s *Silences) Option { return optionFunc(func(c *config) { c.silences = s }) }

// WithTickInterval sets how often Start runs Tick (default 1s).
func WithTickInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.tickInterval = d })
}

// WithExternalURL sets the link put into notifications (the dashboard).
func WithExternalURL(u string) Option { return optionFunc(func(c *config) { c.externalURL = u }) }

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

func (c *config) validateDispatch() error {
	if c.clock == nil || c.logger == nil || c.meterProvider == nil {
		return fmt.Errorf("%w: clock, logger and meter provider must not be nil", ErrInvalidOption)
	}
	if c.tickInterval <= 0 {
		return fmt.Errorf("%w: WithTickInterval: must be positive", ErrInvalidOption)
	}
	names := map[string]bool{}
	for i := range c.receivers {
		r := &c.receivers[i]
		switch {
		case r.Name == "":
			return fmt.Errorf("%w: WithReceiver: Name is required", ErrInvalidOption)
		case names[r.Name]:
			return fmt.Errorf("%w: WithReceiver: duplicate name %q", ErrInvalidOption, r.Name)
		case r.Notifier == nil:
			return fmt.Errorf("%w: WithReceiver %q: Notifier is required", ErrInvalidOption, r.Name)
		case r.Timeout < 0 || r.MaxAttempts < 0 || r.QueueSize < 0 || r.MaxRetryAfter < 0:
			return fmt.Errorf("%w: WithReceiver %q: Timeout, MaxAttempts, QueueSize and MaxRetryAfter must not be negative", ErrInvalidOption, r.Name)
		}
		names[r.Name] = true
		r.withDefaults()
	}
	for i := range c.routes {
		r := &c.routes[i]
		if len(r.Receivers) == 0 {
			return fmt.Errorf("%w: WithRoute #%d: Receivers is empty", ErrInvalidOption, i)
		}
		for _, n := range r.Receivers {
			if !names[n] {
				return fmt.Errorf("%w: WithRoute #%d: unknown receiver %q", ErrInvalidOption, i, n)
			}
		}
		if r.GroupWait < 0 || r.GroupInterval < 0 || r.RepeatInterval < 0 {
			return fmt.Errorf("%w: WithRoute #%d: intervals must not be negative", ErrInvalidOption, i)
		}
		r.withDefaults()
	}
	for i := range c.maintenance {
		if err := c.maintenance[i].validate(); err != nil {
			return err
		}
	}
	return nil
}
