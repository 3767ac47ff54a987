package instrument

import (
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

// Option configures both NewDependency and Middleware.
type Option interface {
	DependencyOption
	MiddlewareOption
}

// providerConfig is where a dependency or a middleware records, and for a
// dependency what its Stats read.
type providerConfig struct {
	mp      metric.MeterProvider
	userSet bool                  // WithMeterProvider was given
	twice   bool                  // WithMeterProvider was given more than once
	monitor bool                  // a Monitor built it (instrumenthook.WithMonitor)
	stats   instrumenthook.Source // the Monitor's figures; nil standalone
}

// validate reports WithMeterProvider on instrumentation a Monitor builds:
// it records into the Monitor's provider, so the option would be ignored.
func (c *providerConfig) validate(fail func(option, format string, a ...any)) {
	if c.monitor && c.userSet {
		fail("WithMeterProvider", "not for a Monitor's dependency or middleware, which record into the Monitor's provider")
	}
	if c.twice {
		fail("WithMeterProvider", "given twice; the second would silently replace the first")
	}
	if c.userSet && c.mp == nil {
		fail("WithMeterProvider", "provider must not be nil")
	}
}

// meterProvider is the provider to record into: the option's, the
// Monitor's, or the global one.
func (c *providerConfig) meterProvider() metric.MeterProvider {
	if c.mp != nil {
		return c.mp
	}
	return otel.GetMeterProvider()
}

type providerOption struct {
	fn func(*providerConfig)
}

func (o providerOption) applyDependency(c *depConfig) { o.fn(&c.provider) }
func (o providerOption) applyMiddleware(c *mwConfig)  { o.fn(&c.provider) }

// WithMeterProvider sets the provider the metrics are recorded into; the
// default is otel.GetMeterProvider(), as in otelhttp. A Monitor's
// dependencies and middleware record into the Monitor's provider and
// refuse this option.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return providerOption{func(c *providerConfig) {
		c.twice = c.twice || c.userSet
		if !c.monitor {
			c.mp = mp
		}
		c.userSet = true
	}}
}

func init() {
	instrumenthook.WithMonitor = func(mp metric.MeterProvider, src instrumenthook.Source) any {
		return Option(providerOption{func(c *providerConfig) {
			c.mp, c.monitor, c.stats = mp, true, src
		}})
	}
	instrumenthook.SetHealth = func(d, h any) {
		v := h.(Health)
		d.(*Dependency).health.Store(&v)
	}
	instrumenthook.Failure = func(d any, err error) bool { return d.(*Dependency).outcome(err).failure() }
	instrumenthook.WithClock = func(c clock.Clock) any { return withClock(c) }
}

// given records the single-valued options already given: a second one
// would silently replace the first, so it is refused, naming it.
type given map[string]bool

// once reports whether the option called name is given for the first
// time, appending the error to errs when it is not.
func (g *given) once(name string, errs *[]error) bool {
	if (*g)[name] {
		*errs = append(*errs, fmt.Errorf("option %s: given twice; the second would silently replace the first", name))
		return false
	}
	if *g == nil {
		*g = given{}
	}
	(*g)[name] = true
	return true
}
