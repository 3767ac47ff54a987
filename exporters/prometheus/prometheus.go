package prometheus

import (
	"errors"
	"fmt"
	"net/http"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/exporters"
)

// DefaultMaxInFlight bounds concurrent scrapes: a scrape storm must not
// multiply collection work.
const DefaultMaxInFlight = 4

// Exporter is a pull exporter with its scrape handler.
type Exporter struct {
	reg     *promclient.Registry
	exp     *exporters.Exporter
	handler http.Handler
}

// Option configures [New].
type Option interface {
	apply(*config)
}

type config struct {
	namespace    string
	noTargetInfo bool
	maxInFlight  int
	name         string
	producers    []sdkmetric.Producer
	given        map[string]bool // single-valued options already given
	err          error
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// once reports whether the single-valued option called name is given for
// the first time. A second one would silently replace the first, so it is
// refused, naming it; WithProducers adds and WithoutTargetInfo is a flag,
// so both may repeat.
func (c *config) once(name string) bool {
	if c.given[name] {
		c.err = errors.Join(c.err, fmt.Errorf("%w %s: given twice; the second would silently replace the first", exporters.ErrInvalidOption, name))
		return false
	}
	if c.given == nil {
		c.given = map[string]bool{}
	}
	c.given[name] = true
	return true
}

// WithNamespace prefixes every metric name (namespace_metric).
func WithNamespace(ns string) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithNamespace") {
			return
		}
		if ns == "" {
			c.err = errors.Join(c.err, fmt.Errorf("%w WithNamespace: must not be empty", exporters.ErrInvalidOption))
		}
		c.namespace = ns
	})
}

// WithoutTargetInfo leaves out the target_info metric that carries the
// resource (service.name, service.instance.id, host, ...).
func WithoutTargetInfo() Option {
	return optionFunc(func(c *config) { c.noTargetInfo = true })
}

// WithMaxInFlight sets how many scrapes may run at once (default 4);
// others get 503.
func WithMaxInFlight(n int) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithMaxInFlight") {
			return
		}
		if n < 1 {
			c.err = errors.Join(c.err, fmt.Errorf("%w WithMaxInFlight: %d must be at least 1", exporters.ErrInvalidOption, n))
		}
		c.maxInFlight = n
	})
}

// WithName sets the exporter's name in igmon (default "prometheus").
func WithName(name string) Option {
	return optionFunc(func(c *config) {
		if c.once("WithName") {
			c.name = name
		}
	})
}

// WithProducers adds ps to every scrape (otelprom.WithProducer). A pull
// exporter brings its own reader, so the producers the Monitor puts on the
// readers it builds do not reach it: pass probes.RuntimeProducer() here
// for go.schedule.duration, unless the Monitor runs WithoutSystemMetrics.
func WithProducers(ps ...sdkmetric.Producer) Option {
	return optionFunc(func(c *config) {
		for i, p := range ps {
			if p == nil {
				c.err = errors.Join(c.err, fmt.Errorf("%w WithProducers: producer %d is nil", exporters.ErrInvalidOption, i))
				continue
			}
			c.producers = append(c.producers, p)
		}
	})
}

// New builds the exporter and its private registry.
func New(opts ...Option) (*Exporter, error) {
	c := config{maxInFlight: DefaultMaxInFlight, name: "prometheus"}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.err != nil {
		return nil, fmt.Errorf("prometheus: %w", c.err)
	}
	reg := promclient.NewRegistry()
	popts := []otelprom.Option{otelprom.WithRegisterer(reg)}
	if c.namespace != "" {
		popts = append(popts, otelprom.WithNamespace(c.namespace))
	}
	if c.noTargetInfo {
		popts = append(popts, otelprom.WithoutTargetInfo())
	}
	for _, p := range c.producers {
		popts = append(popts, otelprom.WithProducer(p))
	}
	pe, err := otelprom.New(popts...)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	e, err := exporters.NewPull(c.name, pe)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A collection error for one metric must not hide all others.
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: c.maxInFlight,
		// OpenMetrics when the scraper asks for it (Prometheus does by
		// default): the only text format that carries exemplars, which
		// link a histogram bucket or counter to the trace of a sampled
		// span. Without the Accept header the classic text format is
		// served, as before.
		EnableOpenMetrics: true,
	})
	return &Exporter{reg: reg, exp: e, handler: h}, nil
}

// Exporter is what monitor.WithExporters takes.
func (e *Exporter) Exporter() *exporters.Exporter { return e.exp }

// Handler serves the scrape: the Prometheus text format by default,
// OpenMetrics (with exemplars) or protobuf when the scraper's Accept header
// asks for them. Mount it at /metrics.
func (e *Exporter) Handler() http.Handler { return e.handler }

// Registerer is the private registry, for adding the service's own
// client_golang collectors to the same scrape.
func (e *Exporter) Registerer() promclient.Registerer { return e.reg }
