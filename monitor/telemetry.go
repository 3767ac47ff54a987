package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/exporters"
)

// telemetryCheck is the name of the health check that reports the export
// pipeline. It is non-critical: a collector that is down makes it warn and
// never fails readiness.
const telemetryCheck = "telemetry"

// telemetryConfig holds the options about the MeterProvider the Monitor
// builds.
type telemetryConfig struct {
	exporters    []*exporters.Exporter
	exportersSet bool
	cardinality  int
	cardSet      bool
	warnAfter    int
	logInterval  time.Duration
	inproc       *exporters.InProcess
}

// WithExporters names where metrics go: exporters.OTLP, exporters.Stdout,
// the Prometheus handler of github.com/jackcode/igmon/exporters/prometheus,
// or any exporter or reader adapted with exporters.NewPush / NewPull (a
// ManualReader in tests: WithExporters(exporters.NewPull("test", r))).
// Without this
// option the Monitor exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
// (or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) is set, and otherwise keeps
// metrics in process only (Metrics). WithExporters() with no arguments
// turns the environment default off. The Monitor shuts the exporters down.
func WithExporters(exps ...*exporters.Exporter) Option {
	return optionFunc(func(c *config) {
		for i, e := range exps {
			if e == nil {
				c.fail("WithExporters", "exporter %d is nil", i)
			}
		}
		c.telemetry.exporters = append(c.telemetry.exporters, exps...)
		c.telemetry.exportersSet = true
	})
}

// WithCardinalityLimit bounds the attribute sets kept per instrument
// (default 2000); further sets fold into one otel.metric.overflow=true
// series, so an attribute explosion cannot eat memory. 0 means no limit.
func WithCardinalityLimit(n int) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithCardinalityLimit") {
			return
		}
		if n < 0 {
			c.fail("WithCardinalityLimit", "%d must not be negative", n)
		}
		c.telemetry.cardinality, c.telemetry.cardSet = n, true
	})
}

// WithInProcess makes p the Monitor's in-process reader: what alert rules,
// the evidence and the dashboard read (Metrics). It is how a service that
// builds its own MeterProvider keeps in-process alerting: register
// p.Reader() with that provider (with exporters.ExemplarView, as the
// Monitor's own provider has it) and pass the provider with
// WithMeterProvider. Without WithMeterProvider the Monitor registers p with
// the provider it builds. monitor.New fails when p is not registered with
// the provider the Monitor records into.
func WithInProcess(p *exporters.InProcess) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithInProcess") {
			return
		}
		if p == nil {
			c.fail("WithInProcess", "reader must not be nil")
		}
		c.telemetry.inproc = p
	})
}

func (t *telemetryConfig) validate(c *config) {
	if c.meterProvider != nil && len(t.exporters) > 0 {
		c.fail("WithExporters", "cannot be combined with WithMeterProvider: add the readers to your provider")
	}
	if c.meterProvider != nil && t.cardSet {
		c.fail("WithCardinalityLimit", "cannot be combined with WithMeterProvider: set it on your provider")
	}
}

// telemetry is the Monitor's export side.
type telemetry struct {
	inproc   *exporters.InProcess
	pipeline *exporters.Pipeline // nil when disabled or with a user provider
}

// initTelemetry builds the MeterProvider: the in-process reader, the named
// (or environment) exporters behind a pipeline, the user's readers, the
// cardinality limit and the duration-bucket advice. OTEL_SDK_DISABLED=true
// gives a no-op provider; the health endpoints keep working.
func (m *Monitor) initTelemetry(res *resource.Resource) error {
	cfg := &m.cfg.telemetry
	inproc := cfg.inproc
	producers := exporters.WithProducers(m.systemProducers()...)
	if inproc == nil {
		var err error
		// The series engine is the one regular collector and needs each
		// cycle's own collection: no cache.
		if inproc, err = exporters.NewInProcess(producers, exporters.WithCacheTTL(0)); err != nil {
			return fmt.Errorf("monitor: %w", err)
		}
	}
	m.tel = &telemetry{inproc: inproc}
	if m.cfg.meterProvider != nil {
		m.mp = m.cfg.meterProvider
		if cfg.inproc != nil {
			// Catch a forgotten sdkmetric.WithReader(p.Reader()) now: later
			// the rules would read nothing and never fire.
			if _, err := inproc.Collect(context.Background()); errors.Is(err, exporters.ErrNotRegistered) {
				return errors.New("monitor: option WithInProcess: its Reader() is not registered with the provider given by WithMeterProvider")
			}
		}
		return nil
	}
	exps := cfg.exporters
	disabled, err := exporters.Disabled()
	if err != nil {
		return closeAll(fmt.Errorf("monitor: %w", err), exps)
	}
	if disabled {
		m.mp = noop.NewMeterProvider()
		m.logger.LogAttrs(context.Background(), slog.LevelInfo, "igmon: OTEL_SDK_DISABLED=true: metrics are not recorded or exported")
		return closeAll(nil, exps)
	}
	if !cfg.exportersSet && exporters.OTLPConfigured() {
		e, err := exporters.OTLP(context.Background())
		if err != nil {
			return err // "exporters: OTLP: ...": already names where it failed
		}
		exps = []*exporters.Exporter{e}
	}
	popts := []exporters.PipelineOption{exporters.WithLogger(m.logger), producers}
	if cfg.warnAfter > 0 {
		popts = append(popts, exporters.WithWarnAfter(cfg.warnAfter))
	}
	if cfg.logInterval > 0 {
		popts = append(popts, exporters.WithLogInterval(cfg.logInterval))
	}
	p, err := exporters.NewPipeline(exps, popts...)
	if err != nil {
		return closeAll(fmt.Errorf("monitor: option WithExporters: %w", err), exps)
	}
	limit := 2000 // attribute sets per instrument; further ones fold into one overflow series
	if cfg.cardSet {
		limit = cfg.cardinality
	}
	mopts := []sdkmetric.Option{
		sdkmetric.WithResource(res),
		sdkmetric.WithCardinalityLimit(limit),
		// Each reader (in-process every alert cycle, OTLP every export)
		// would otherwise pay the SDK's per-series exemplar reset.
		sdkmetric.WithView(exporters.ExemplarView()),
		sdkmetric.WithReader(inproc.Reader()),
	}
	for _, r := range p.Readers() {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	m.ownMP = sdkmetric.NewMeterProvider(mopts...)
	m.mp = exporters.BucketAdvice(m.ownMP)
	if len(p.Status()) > 0 {
		m.tel.pipeline = p
	}
	if err := p.Instrument(m.mp); err != nil {
		m.closeTelemetry()
		return fmt.Errorf("monitor: %w", err)
	}
	return nil
}

// closeAll shuts down exporters that never made it into a provider, so
// their connections do not leak.
func closeAll(err error, exps []*exporters.Exporter) error {
	for _, e := range exps {
		if e != nil {
			_ = e.Shutdown(context.Background())
		}
	}
	return err
}

// closeTelemetry undoes initTelemetry when New fails later on.
func (m *Monitor) closeTelemetry() {
	if m.ownMP != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = m.ownMP.Shutdown(ctx)
	}
}

// registerTelemetryCheck adds the non-critical telemetry check when there
// is a push exporter to watch. Failed exports make it warn (HTTP 200), so
// readiness never depends on the metrics backend.
func (m *Monitor) registerTelemetryCheck() error {
	p := m.tel.pipeline
	if p == nil {
		return nil
	}
	c, err := checks.NewCheck(telemetryCheck, func(ctx context.Context) error {
		if err := p.Check(ctx); err != nil {
			return checks.Warn(err)
		}
		return nil
	}, checks.WithCritical(false), checks.WithComponentType("telemetry"), checks.WithTimeout(time.Second))
	if err != nil {
		return err
	}
	return m.checks.Add(c)
}

// Metrics returns the in-process reader: what alert rules and the
// dashboard read, the same numbers the exporters send. It exists on every
// Monitor; its Collect returns exporters.ErrNotRegistered when telemetry is
// disabled, or when the Monitor records into a provider it did not build
// and no registered reader was given with WithInProcess.
func (m *Monitor) Metrics() *exporters.InProcess { return m.tel.inproc }
