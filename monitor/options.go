package monitor

import (
	"errors"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
)

// Option configures a Monitor.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	actions         []Action // see actions.go
	serviceName     string
	serviceVersion  string
	environment     string
	instanceID      string
	description     string
	meterProvider   metric.MeterProvider
	logger          *slog.Logger
	authorizer      checks.Authorizer
	registryOpts    []checks.RegistryOption
	eventCapacity   int
	noSystemMetrics bool
	alerting        bool
	alertRules      []alerting.Rule
	alertOpts       []alerting.Option
	telemetry       telemetryConfig
	dataDir         string          // WithDataDir; see state.go
	discardCorrupt  bool            // WithDiscardCorruptState
	given           map[string]bool // single-valued options already given
	errs            []error
}

func (c *config) fail(option, format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf("monitor: option %s: "+format, append([]any{option}, a...)...))
}

// once records that the single-valued option called name was given and
// reports whether it is the first time: a second one would silently
// replace the first, so it is refused, naming it. Options that add
// (WithExporters, WithRegistryOptions, WithAlerting,
// WithAction) and flags (WithoutSystemMetrics, WithDiscardCorruptState)
// may repeat.
func (c *config) once(name string) bool {
	if c.given[name] {
		c.fail(name, "given twice; the second would silently replace the first")
		return false
	}
	if c.given == nil {
		c.given = map[string]bool{}
	}
	c.given[name] = true
	return true
}

// WithServiceName sets service.name. Without it the Monitor uses
// OTEL_SERVICE_NAME, then service.name from OTEL_RESOURCE_ATTRIBUTES, then
// the executable's name.
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithServiceName") {
			return
		}
		if name == "" {
			c.fail("WithServiceName", "name must not be empty")
		}
		c.serviceName = name
	})
}

// WithServiceVersion sets service.version, also shown as the health+json
// version.
func WithServiceVersion(v string) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithServiceVersion") {
			return
		}
		c.serviceVersion = v
	})
}

// WithEnvironment sets deployment.environment.name (production, staging).
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithEnvironment") {
			return
		}
		c.environment = env
	})
}

// WithInstanceID sets service.instance.id. The default is a random UUID per
// process, as the semantic conventions recommend.
func WithInstanceID(id string) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithInstanceID") {
			return
		}
		c.instanceID = id
	})
}

// WithMeterProvider makes the Monitor record into mp instead of building
// its own MeterProvider. The Monitor does not shut a provider it did not
// build.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithMeterProvider") {
			return
		}
		if mp == nil {
			c.fail("WithMeterProvider", "provider must not be nil")
		}
		c.meterProvider = mp
	})
}

// WithLogger sets the structured logger for transitions, drain and
// diagnostics. The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithLogger") {
			return
		}
		if l == nil {
			c.fail("WithLogger", "logger must not be nil")
		}
		c.logger = l
	})
}

// WithAuthorizer lets requests the authorizer admits see health details
// (error text, observed values). See checks.BearerToken.
func WithAuthorizer(a checks.Authorizer) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithAuthorizer") {
			return
		}
		if a == nil {
			c.fail("WithAuthorizer", "authorizer must not be nil")
		}
		c.authorizer = a
	})
}

// WithEventCapacity sets how many events the event log keeps (default
// 1000).
func WithEventCapacity(n int) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithEventCapacity") {
			return
		}
		if n < 1 {
			c.fail("WithEventCapacity", "%d must be at least 1", n)
		}
		c.eventCapacity = n
	})
}

// WithoutSystemMetrics turns off the host, process, Go runtime and cgroup
// metrics the Monitor publishes by default.
func WithoutSystemMetrics() Option {
	return optionFunc(func(c *config) { c.noSystemMetrics = true })
}

// WithRegistryOptions passes options through to the check registry: the
// drain delay (checks.WithDrainDelay), the liveness grace period,
// concurrency, margin, listeners. The Monitor sets the registry's logger,
// meter provider and override listener itself; giving a single-valued
// option the Monitor already sets is an error naming it, never a silent
// replacement.
func WithRegistryOptions(opts ...checks.RegistryOption) Option {
	return optionFunc(func(c *config) { c.registryOpts = append(c.registryOpts, opts...) })
}

func (c *config) validate() error {
	c.telemetry.validate(c)
	return errors.Join(c.errs...)
}
