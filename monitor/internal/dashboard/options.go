package dashboard

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

// Option configures a dashboard Handler.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	authorize func(*http.Request) bool
	actions   Actions
	logger    *slog.Logger
	refresh   time.Duration
	title     string
	clock     clock.Clock
	timeout   time.Duration
	errs      []error

	// streamEvents ends an event stream after that many events (0: never).
	// The browser test sets it so that headless Chromium's virtual time,
	// which stands still while a response is open, can advance between
	// EventSource reconnects.
	streamEvents int
}

func (c *config) fail(option, format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf("dashboard: option %s: "+format, append([]any{option}, a...)...))
}

// The refresh interval's bounds: faster than MinRefresh turns viewers into
// load on the Source; slower than MaxRefresh is no longer live.
const (
	MinRefresh     = 100 * time.Millisecond
	MaxRefresh     = 5 * time.Minute
	DefaultRefresh = 2 * time.Second
)

// WithAuthorizer lets requests that a admits see details and take actions.
// Pass the same authorizer as the health endpoints' (checks.BearerToken
// fits). Without it the dashboard is read-only and shows no details.
func WithAuthorizer(a func(*http.Request) bool) Option {
	return optionFunc(func(c *config) {
		if a == nil {
			c.fail("WithAuthorizer", "authorizer must not be nil")
		}
		c.authorize = a
	})
}

// WithActions enables silences and overrides for authorized requests.
// Without it the action routes answer 501 and the page hides the buttons.
func WithActions(a Actions) Option {
	return optionFunc(func(c *config) {
		if a == nil {
			c.fail("WithActions", "actions must not be nil")
		}
		c.actions = a
	})
}

// WithLogger sets where actions and Source failures are logged; the
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l == nil {
			c.fail("WithLogger", "logger must not be nil")
		}
		c.logger = l
	})
}

// WithRefresh sets how often the event stream pushes a snapshot and the
// page polls when it has a token; between MinRefresh and MaxRefresh,
// DefaultRefresh by default. Public snapshots are shared by all viewers for
// half of it, so more viewers do not mean more Source calls.
func WithRefresh(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d < MinRefresh || d > MaxRefresh {
			c.fail("WithRefresh", "%v is outside [%v, %v]", d, MinRefresh, MaxRefresh)
		}
		c.refresh = d
	})
}

// WithTitle sets the page title; the default is "Service status".
func WithTitle(title string) Option {
	return optionFunc(func(c *config) {
		if title == "" {
			c.fail("WithTitle", "title must not be empty")
		}
		c.title = title
	})
}

// WithSnapshotTimeout bounds each Source.Snapshot call; 5s by default.
func WithSnapshotTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.fail("WithSnapshotTimeout", "timeout must be positive, got %v", d)
		}
		c.timeout = d
	})
}

// withClock makes the snapshot cache read a fake clock in tests.
func withClock(clk clock.Clock) Option {
	return optionFunc(func(c *config) { c.clock = clk })
}
