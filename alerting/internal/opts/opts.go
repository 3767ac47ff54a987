// Package opts is what the options of package alerting (the Evaluator) and
// package alerting/dispatch (the Dispatcher) have in common, so that one
// option value, such as alerting.WithLogger, configures both constructors
// and monitor.WithAlerting can take a mixed list. The interfaces have
// exported methods on types only igmon can name, so no other package can
// implement an option: a misplaced option still fails to compile.
package opts

import (
	"errors"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/internal/clock"
)

// ErrInvalidOption is alerting.ErrInvalidOption: the one sentinel of an
// invalid option to either constructor.
var ErrInvalidOption = errors.New("alerting: invalid option")

// Option is any option of alerting or dispatch.
type Option interface{ OptionName() string }

// Evaluator is an option alerting.NewEvaluator takes.
type Evaluator interface {
	Option
	ApplyEvaluator(*Config)
}

// Dispatcher is an option dispatch.New takes.
type Dispatcher interface {
	Option
	ApplyDispatcher(*Config)
}

// Config is the part of a constructor's settings that the shared options
// set. Each constructor's own settings embed it, and Own points back to
// them, so that an option of one constructor reaches the rest.
type Config struct {
	given map[string]bool // single-valued options applied, by name
	twice string          // the first one given twice

	Clock         clock.Clock
	Logger        *slog.Logger
	MeterProvider metric.MeterProvider
	Resource      map[string]string

	// Own is the constructor's settings (a pointer to the struct that
	// embeds this Config).
	Own any
}

// Defaults returns the shared settings before any option.
func Defaults() Config {
	return Config{Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler), MeterProvider: noop.NewMeterProvider()}
}

// Opt is the one implementation behind every kind: a name for errors and
// what it sets.
type Opt struct {
	Name string
	// List is true for an option that adds to a list (WithRoute,
	// WithReceiver, ...): giving it several times is how the list is
	// built. Any other option sets one value, and a second one would
	// silently replace the first, so Apply refuses it instead.
	List bool
	Set  func(*Config)
}

// OptionName implements Option.
func (o Opt) OptionName() string { return o.Name }

func (o Opt) apply(c *Config) {
	if !o.List {
		if c.given[o.Name] && c.twice == "" {
			c.twice = o.Name
		}
		if c.given == nil {
			c.given = map[string]bool{}
		}
		c.given[o.Name] = true
	}
	o.Set(c)
}

type (
	// EvaluatorOpt is an option of the Evaluator only.
	EvaluatorOpt struct{ Opt }
	// DispatcherOpt is an option of the Dispatcher only.
	DispatcherOpt struct{ Opt }
	// SharedOpt configures both.
	SharedOpt struct{ Opt }
)

// ApplyEvaluator implements Evaluator.
func (o EvaluatorOpt) ApplyEvaluator(c *Config) { o.apply(c) }

// ApplyDispatcher implements Dispatcher.
func (o DispatcherOpt) ApplyDispatcher(c *Config) { o.apply(c) }

// ApplyEvaluator implements Evaluator.
func (o SharedOpt) ApplyEvaluator(c *Config) { o.apply(c) }

// ApplyDispatcher implements Dispatcher.
func (o SharedOpt) ApplyDispatcher(c *Config) { o.apply(c) }

// Apply applies opts to c, which the caller filled with its defaults
// (Own set); ctor names the constructor in errors. A nil option and a
// single-valued option given twice are refused, naming them.
func Apply[O Option](ctor string, c *Config, opts []O, apply func(O, *Config)) error {
	for i, o := range opts {
		if Option(o) == nil {
			return fmt.Errorf("%w: %s: option #%d is nil", ErrInvalidOption, ctor, i)
		}
		apply(o, c)
	}
	if c.twice != "" {
		return fmt.Errorf("%w: %s: %s given more than once", ErrInvalidOption, ctor, c.twice)
	}
	return c.validate()
}

// validate checks what the shared options set.
func (c *Config) validate() error {
	switch {
	case c.Clock == nil:
		return fmt.Errorf("%w: WithClock: nil clock", ErrInvalidOption)
	case c.Logger == nil:
		return fmt.Errorf("%w: WithLogger: nil logger", ErrInvalidOption)
	case c.MeterProvider == nil:
		return fmt.Errorf("%w: WithMeterProvider: nil provider", ErrInvalidOption)
	}
	return nil
}

// WithClock sets the time source of either constructor; tests pass a
// *clock.Fake (through internal/alerthook).
func WithClock(c clock.Clock) SharedOpt {
	return SharedOpt{Opt{Name: "WithClock", Set: func(cfg *Config) { cfg.Clock = c }}}
}
