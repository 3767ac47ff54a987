package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/internal/clock"
)

// Option is any option of this package: an [EvaluatorOption], a
// [DispatcherOption] or a [SharedOption]. Only a list that configures both
// constructors takes it (monitor.WithAlerting builds an Evaluator and a
// Dispatcher and hands each option to the one it belongs to);
// NewEvaluator and NewDispatcher each take their own kind, so an option
// given to the wrong one does not compile.
type Option interface{ optionName() string }

// EvaluatorOption configures NewEvaluator. A single-valued option given
// twice is refused, naming it.
type EvaluatorOption interface {
	Option
	applyEvaluator(*config)
}

// DispatcherOption configures NewDispatcher. A single-valued option given
// twice is refused, naming it; list options (WithRoute, WithReceiver, ...)
// add up.
type DispatcherOption interface {
	Option
	applyDispatcher(*config)
}

// SharedOption configures an Evaluator and a Dispatcher alike (WithLogger,
// WithMeterProvider, WithResource).
type SharedOption interface {
	EvaluatorOption
	DispatcherOption
}

// option is the one implementation behind the three kinds: a name for
// errors and what it sets.
type option struct {
	name string
	// list is true for an option that adds to a list (WithRoute,
	// WithReceiver, ...): giving it several times is how the list is
	// built. Any other option sets one value, and a second one would
	// silently replace the first, so newConfig refuses it instead.
	list bool
	set  func(*config)
}

func (o option) optionName() string { return o.name }

func (o option) apply(c *config) {
	if !o.list {
		if c.given[o.name] && c.twice == "" {
			c.twice = o.name
		}
		if c.given == nil {
			c.given = map[string]bool{}
		}
		c.given[o.name] = true
	}
	o.set(c)
}

type (
	evaluatorOption  struct{ option }
	dispatcherOption struct{ option }
	sharedOption     struct{ option }
)

func (o evaluatorOption) applyEvaluator(c *config)   { o.apply(c) }
func (o dispatcherOption) applyDispatcher(c *config) { o.apply(c) }
func (o sharedOption) applyEvaluator(c *config)      { o.apply(c) }
func (o sharedOption) applyDispatcher(c *config)     { o.apply(c) }

// newConfig applies opts to the defaults; ctor names the constructor in
// errors.
func newConfig[O Option](ctor string, opts []O, apply func(O, *config)) (config, error) {
	cfg := defaultConfig()
	for i, o := range opts {
		if Option(o) == nil {
			return cfg, fmt.Errorf("%w: %s: option #%d is nil", ErrInvalidOption, ctor, i)
		}
		apply(o, &cfg)
	}
	if cfg.twice != "" {
		return cfg, fmt.Errorf("%w: %s: %s given more than once", ErrInvalidOption, ctor, cfg.twice)
	}
	return cfg, nil
}

type config struct {
	given map[string]bool // single-valued options applied, by name
	twice string          // the first one given twice

	clock         clock.Clock
	logger        *slog.Logger
	meterProvider metric.MeterProvider

	// evaluator
	metrics        MetricSource
	checks         CheckSource
	interval       time.Duration
	sink           Sink
	ringCap        int
	maxSeries      int
	resolvedRetain time.Duration
	resource       map[string]string

	// dispatcher
	routes       []Route
	receivers    []Receiver
	inhibits     []InhibitRule
	maintenance  []MaintenanceWindow
	tickInterval time.Duration
	sleep        func(ctx context.Context, d time.Duration) error
	externalURL  string
	onDelivery   func(deliveryOutcome)
	am           *Alertmanagers
}

func defaultConfig() config {
	return config{
		clock:          clock.Real{},
		logger:         slog.New(slog.DiscardHandler),
		meterProvider:  noop.NewMeterProvider(),
		interval:       15 * time.Second,
		ringCap:        32,
		maxSeries:      100_000,
		resolvedRetain: 15 * time.Minute,
		tickInterval:   time.Second,
	}
}

// withClock sets the time source; tests pass a *clock.Fake.
func withClock(c clock.Clock) SharedOption {
	return sharedOption{option{name: "WithClock", set: func(cfg *config) {
		cfg.clock = c
	}}}
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) SharedOption {
	return sharedOption{option{name: "WithLogger", set: func(cfg *config) {
		cfg.logger = l
	}}}
}

// WithMeterProvider sets where alerting's own metrics go; the default is a
// no-op provider.
func WithMeterProvider(mp metric.MeterProvider) SharedOption {
	return sharedOption{option{name: "WithMeterProvider", set: func(cfg *config) {
		cfg.meterProvider = mp
	}}}
}

// WithMetricSource sets where the Evaluator reads metrics, e.g. an
// *sdkmetric.ManualReader registered on igmon's MeterProvider.
func WithMetricSource(s MetricSource) EvaluatorOption {
	return evaluatorOption{option{name: "WithMetricSource", set: func(cfg *config) {
		cfg.metrics = s
	}}}
}

// WithCheckSource sets where CheckState rules read check states.
func WithCheckSource(s CheckSource) EvaluatorOption {
	return evaluatorOption{option{name: "WithCheckSource", set: func(cfg *config) {
		cfg.checks = s
	}}}
}

// WithInterval sets the evaluation interval of Start (default 15s).
func WithInterval(d time.Duration) EvaluatorOption {
	return evaluatorOption{option{name: "WithInterval", set: func(cfg *config) {
		cfg.interval = d
	}}}
}

// WithSink sets where the Evaluator sends firing and resolved alerts after
// each cycle, typically a *Dispatcher.
func WithSink(s Sink) EvaluatorOption {
	return evaluatorOption{option{name: "WithSink", set: func(cfg *config) {
		cfg.sink = s
	}}}
}

// WithWindowResolution sets how many snapshots a series keeps per window
// (default 32): a window is read with an error of at most window/(n-2).
func WithWindowResolution(n int) EvaluatorOption {
	return evaluatorOption{option{name: "WithWindowResolution", set: func(cfg *config) {
		cfg.ringCap = n
	}}}
}

// WithMaxSeries caps the number of tracked series (default 100000); new
// series beyond it are ignored and counted.
func WithMaxSeries(n int) EvaluatorOption {
	return evaluatorOption{option{name: "WithMaxSeries", set: func(cfg *config) {
		cfg.maxSeries = n
	}}}
}

// withResolvedRetention sets how long resolved alerts stay listed (default
// 15m).
func withResolvedRetention(d time.Duration) EvaluatorOption {
	return evaluatorOption{option{name: "WithResolvedRetention", set: func(cfg *config) {
		cfg.resolvedRetain = d
	}}}
}

// WithResource gives alerting the attributes of the process' OTel
// resource (service.name, deployment.environment.name,
// service.instance.id, host.name, ...). A rule grouping By a key its
// series do not carry (host.name is a resource attribute, not a data
// point one) takes the value from here, so its labels and templates see
// it; a PerInstance rule gets the "instance" label from
// service.instance.id; alerts forwarded to an Alertmanager
// (WithAlertmanagers) get "service" and "environment" labels from
// service.name and deployment.environment.name unless the rule sets them.
// The Monitor passes its resource.
func WithResource(attrs map[string]string) SharedOption {
	return sharedOption{option{name: "WithResource", set: func(cfg *config) {
		cfg.resource = maps.Clone(attrs)
	}}}
}

// ErrInvalidOption is wrapped by errors for invalid options.
var ErrInvalidOption = errors.New("alerting: invalid option")

// validateShared checks what the SharedOptions set.
func (c *config) validateShared() error {
	switch {
	case c.clock == nil:
		return fmt.Errorf("%w: WithClock: nil clock", ErrInvalidOption)
	case c.logger == nil:
		return fmt.Errorf("%w: WithLogger: nil logger", ErrInvalidOption)
	case c.meterProvider == nil:
		return fmt.Errorf("%w: WithMeterProvider: nil provider", ErrInvalidOption)
	}
	return nil
}

func (c *config) validateEval() error {
	if err := c.validateShared(); err != nil {
		return err
	}
	switch {
	case c.interval <= 0:
		return fmt.Errorf("%w: WithInterval: must be positive, got %v", ErrInvalidOption, c.interval)
	case c.ringCap < 4:
		return fmt.Errorf("%w: WithWindowResolution: need at least 4, got %d", ErrInvalidOption, c.ringCap)
	case c.maxSeries <= 0:
		return fmt.Errorf("%w: WithMaxSeries: must be positive, got %d", ErrInvalidOption, c.maxSeries)
	case c.resolvedRetain < 0:
		return fmt.Errorf("%w: WithResolvedRetention: must not be negative", ErrInvalidOption)
	}
	return nil
}

// deliveryOutcome is the final outcome of one notification to one receiver,
// after retries.
type deliveryOutcome struct {
	Receiver, GroupKey string
	Firing, Resolved   int
	// Err is nil when the receiver accepted the notification. Its text may
	// be shown only after redaction.
	Err error
}

// withDeliveryListener calls fn with the final outcome of every
// notification (the event log records them). It runs on the receiver's
// delivery goroutine and must not block.
func withDeliveryListener(fn func(deliveryOutcome)) DispatcherOption {
	return dispatcherOption{option{name: "WithDeliveryListener", set: func(c *config) {
		c.onDelivery = fn
	}}}
}
