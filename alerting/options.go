package alerting

import (
	"fmt"
	"log/slog"
	"maps"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/alerting/internal/opts"
	"github.com/jackcode/igmon/internal/clock"
)

// Option is any option of alerting or alerting/dispatch: an
// [EvaluatorOption], a dispatch.Option or a [SharedOption]. Only a list
// that configures both constructors takes it (monitor.WithAlerting builds
// an Evaluator and a Dispatcher and hands each option to the one it
// belongs to); NewEvaluator and dispatch.New each take their own kind, so
// an option given to the wrong one does not compile.
type Option interface{ opts.Option }

// EvaluatorOption configures NewEvaluator. A single-valued option given
// twice is refused, naming it.
type EvaluatorOption interface{ opts.Evaluator }

// SharedOption configures an Evaluator and a dispatch.Dispatcher alike
// (WithLogger, WithMeterProvider, WithResource): it is an
// [EvaluatorOption] and a dispatch.Option.
type SharedOption interface {
	opts.Evaluator
	opts.Dispatcher
}

// evaluatorOption makes an option of the Evaluator that sets its own
// settings.
func evaluatorOption(name string, set func(*config)) EvaluatorOption {
	return opts.EvaluatorOpt{Opt: opts.Opt{Name: name, Set: func(c *opts.Config) { set(c.Own.(*config)) }}}
}

// sharedOption makes an option of both constructors.
func sharedOption(name string, set func(*opts.Config)) SharedOption {
	return opts.SharedOpt{Opt: opts.Opt{Name: name, Set: set}}
}

// config is the Evaluator's settings.
type config struct {
	opts.Config // Clock, Logger, MeterProvider, Resource

	metrics        MetricSource
	checks         CheckSource
	interval       time.Duration
	sink           Sink
	ringCap        int
	maxSeries      int
	resolvedRetain time.Duration
}

// newConfig applies opts to the Evaluator's defaults.
func newConfig(list []EvaluatorOption) (*config, error) {
	cfg := &config{
		Config:         opts.Defaults(),
		interval:       15 * time.Second,
		ringCap:        32,
		maxSeries:      100_000,
		resolvedRetain: 15 * time.Minute,
	}
	cfg.Own = cfg
	if err := opts.Apply("NewEvaluator", &cfg.Config, list, EvaluatorOption.ApplyEvaluator); err != nil {
		return nil, err
	}
	return cfg, cfg.validate()
}

// withClock sets the time source; tests pass a *clock.Fake.
func withClock(c clock.Clock) SharedOption { return opts.WithClock(c) }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) SharedOption {
	return sharedOption("WithLogger", func(cfg *opts.Config) { cfg.Logger = l })
}

// WithMeterProvider sets where alerting's own metrics go; the default is a
// no-op provider.
func WithMeterProvider(mp metric.MeterProvider) SharedOption {
	return sharedOption("WithMeterProvider", func(cfg *opts.Config) { cfg.MeterProvider = mp })
}

// WithMetricSource sets where the Evaluator reads metrics, e.g. an
// *sdkmetric.ManualReader registered on igmon's MeterProvider.
func WithMetricSource(s MetricSource) EvaluatorOption {
	return evaluatorOption("WithMetricSource", func(cfg *config) { cfg.metrics = s })
}

// WithCheckSource sets where CheckState rules read check states.
func WithCheckSource(s CheckSource) EvaluatorOption {
	return evaluatorOption("WithCheckSource", func(cfg *config) { cfg.checks = s })
}

// WithInterval sets the evaluation interval of Start (default 15s).
func WithInterval(d time.Duration) EvaluatorOption {
	return evaluatorOption("WithInterval", func(cfg *config) { cfg.interval = d })
}

// WithSink sets where the Evaluator sends firing and resolved alerts after
// each cycle, typically a *Dispatcher.
func WithSink(s Sink) EvaluatorOption {
	return evaluatorOption("WithSink", func(cfg *config) { cfg.sink = s })
}

// WithWindowResolution sets how many snapshots a series keeps per window
// (default 32): a window is read with an error of at most window/(n-2).
func WithWindowResolution(n int) EvaluatorOption {
	return evaluatorOption("WithWindowResolution", func(cfg *config) { cfg.ringCap = n })
}

// WithMaxSeries caps the number of tracked series (default 100000); new
// series beyond it are ignored and counted.
func WithMaxSeries(n int) EvaluatorOption {
	return evaluatorOption("WithMaxSeries", func(cfg *config) { cfg.maxSeries = n })
}

// withResolvedRetention sets how long resolved alerts stay listed (default
// 15m).
func withResolvedRetention(d time.Duration) EvaluatorOption {
	return evaluatorOption("WithResolvedRetention", func(cfg *config) { cfg.resolvedRetain = d })
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
	return sharedOption("WithResource", func(cfg *opts.Config) { cfg.Resource = maps.Clone(attrs) })
}

// ErrInvalidOption is wrapped by errors for invalid options, of NewEvaluator
// and of dispatch.New.
var ErrInvalidOption = opts.ErrInvalidOption

func (c *config) validate() error {
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
