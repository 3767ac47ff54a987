package monitor

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/failover"
	"github.com/jackcode/igmon/internal/series"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// scopeName is the instrumentation scope of the metrics the monitor
// package records itself (alert actions).
const scopeName = "github.com/jackcode/igmon/monitor"

// Monitor wires igmon together inside one service.
type Monitor struct {
	cfg      config
	resource *resource.Resource
	mp       metric.MeterProvider
	ownMP    *sdkmetric.MeterProvider // nil when the user supplied the provider
	logger   *slog.Logger
	checks   *checks.Registry
	handler  http.Handler
	events   *eventRing         // see events.go
	probes   probeSet           // see probes.go
	alerting *alertingState     // see alerting.go; nil when off
	dash     *dashboard.Handler // see statuspage.go; nil until asked for
	tel      *telemetry         // exporters, in-process reader; see telemetry.go
	engine   *series.Engine     // the one series engine; see traffic.go
	src      *engineSource      // what the engine collects
	traffic  *traffic           // live figures of dependencies and routes
	history  *history           // the dashboard's charts and uptime bars
	testNow  func() time.Time   // the engine's clock in this package's tests
	state    *stateStore        // WithDataDir; see state.go; nil without

	mu       sync.Mutex
	started  bool
	shutdown bool

	deps dependencySet // dependencies and their instruments; see dependency.go

	failovers []*failover.Group // guarded by mu; see failover.go
	actions   *actionRunner     // alert actions; nil without WithAction
}

// New builds a Monitor. Invalid options return an error naming the option.
func New(opts ...Option) (*Monitor, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Monitor{cfg: cfg, logger: cfg.logger}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	res, err := buildResource(&m.cfg)
	if err != nil {
		return nil, closeAll(fmt.Errorf("monitor: resource: %w", err), cfg.telemetry.exporters)
	}
	m.resource = res
	if err := m.initTelemetry(res); err != nil {
		return nil, err
	}
	ropts := []checks.RegistryOption{
		checks.WithLogger(m.logger),
		checks.WithMeterProvider(m.mp),
		checks.WithOverrideListener(m.recordOverride),
	}
	m.checks, err = checks.NewRegistry(append(ropts, cfg.registryOpts...)...)
	if err != nil {
		m.closeTelemetry()
		return nil, fmt.Errorf("monitor: option WithRegistryOptions: %w", err)
	}
	if err := m.registerTelemetryCheck(); err != nil {
		m.closeTelemetry()
		return nil, fmt.Errorf("monitor: telemetry check: %w", err)
	}
	if err := m.initEvents(); err != nil {
		m.closeTelemetry()
		return nil, err
	}
	if err := m.startSystemProbes(); err != nil {
		m.closeTelemetry()
		return nil, err
	}
	if err := m.initEngine(); err != nil {
		m.closeTelemetry()
		return nil, errors.Join(err, m.closeProbes())
	}
	if err := m.initAlerting(); err != nil {
		m.closeTelemetry()
		return nil, errors.Join(err, m.closeProbes())
	}
	// The status reads last in each engine cycle, after the alert rules.
	if m.alerting != nil {
		m.traffic.alerts = m.alerting.eval.Alerts
	}
	m.engine.OnCycle(m.traffic.cycle)
	m.engine.OnCycle(m.publishHealth) // after the traffic it judges
	// History reads after the status, in the same cycle.
	m.history = newHistory(defaultStatusWindow)
	m.engine.OnCycle(m.historyCycle)
	if err := m.initActions(); err != nil {
		m.closeTelemetry()
		if m.alerting != nil {
			err = errors.Join(err, m.alerting.disp.Close())
		}
		return nil, errors.Join(err, m.closeProbes())
	}
	// Saved state comes back before anything runs (the first cycle
	// re-evaluates restored alerts).
	if err := m.initState(); err != nil {
		m.closeTelemetry()
		if m.alerting != nil {
			err = errors.Join(err, m.alerting.disp.Close())
		}
		return nil, errors.Join(err, m.closeProbes())
	}
	hopts := []checks.HandlerOption{checks.WithServiceInfo(checks.ServiceInfo{
		ServiceID:   m.cfg.serviceName,
		Version:     m.cfg.serviceVersion,
		Description: m.cfg.description,
	})}
	if cfg.authorizer != nil {
		hopts = append(hopts, checks.WithAuthorizer(cfg.authorizer))
	}
	m.handler = m.checks.Handler(hopts...)
	return m, nil
}

// buildResource merges, in rising precedence: OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SERVICE_NAME, then the options. It fills cfg.serviceName from the
// result so that health+json shows the same name.
func buildResource(cfg *config) (*resource.Resource, error) {
	if cfg.instanceID == "" {
		cfg.instanceID = newUUID()
	}
	var attrs []attribute.KeyValue
	if cfg.serviceName != "" {
		attrs = append(attrs, attribute.String("service.name", cfg.serviceName))
	}
	if cfg.serviceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.serviceVersion))
	}
	if cfg.environment != "" {
		attrs = append(attrs, attribute.String("deployment.environment.name", cfg.environment))
	}
	attrs = append(attrs, attribute.String("service.instance.id", cfg.instanceID))
	res, err := resource.New(context.Background(),
		resource.WithTelemetrySDK(),
		// Host and process identity; never the command line, which may
		// carry secrets.
		resource.WithHost(),
		resource.WithOSType(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithFromEnv(),
		resource.WithAttributes(attrs...),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, err
	}
	if v, ok := res.Set().Value("service.name"); ok && v.AsString() != "" {
		cfg.serviceName = v.AsString()
	} else {
		cfg.serviceName = filepath.Base(os.Args[0])
		res, err = resource.Merge(res, resource.NewSchemaless(attribute.String("service.name", cfg.serviceName)))
		if err != nil {
			return nil, err
		}
	}
	if cfg.serviceVersion == "" {
		if v, ok := res.Set().Value("service.version"); ok {
			cfg.serviceVersion = v.AsString()
		}
	}
	if cfg.environment == "" {
		if v, ok := res.Set().Value("deployment.environment.name"); ok {
			cfg.environment = v.AsString()
		}
	}
	return res, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// MeterProvider returns the provider every igmon instrument records into.
func (m *Monitor) MeterProvider() metric.MeterProvider { return m.mp }

// Checks returns the health-check registry.
func (m *Monitor) Checks() *checks.Registry { return m.checks }

// Add adds checks built by the checks package's constructors.
func (m *Monitor) Add(cs ...*checks.Check) error { return m.checks.Add(cs...) }

// Handler serves /livez, /readyz, /startupz and /healthz (and
// /<endpoint>/<check>), mountable on any mux or on its own port.
func (m *Monitor) Handler() http.Handler { return m.handler }

// Start starts background checks. It returns at once.
func (m *Monitor) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shutdown {
		return errors.New("monitor: Start after Shutdown")
	}
	if m.started {
		return nil
	}
	if err := m.checks.Start(ctx); err != nil {
		return err
	}
	if m.tel.pipeline != nil {
		m.tel.pipeline.Start() // New started nothing: exports begin here
	}
	if m.alerting != nil {
		if err := m.alerting.start(); err != nil {
			return fmt.Errorf("monitor: alerting: %w", err)
		}
	}
	// Alert rules may run the engine slower (alerting.WithInterval); the
	// status keeps its own pace. The faster of the two wins.
	if err := m.engine.Start(defaultStatusInterval); err != nil {
		return fmt.Errorf("monitor: series engine: %w", err)
	}
	if m.state != nil {
		m.state.start()
	}
	m.started = true
	m.events.Record(timelineEvent{Component: m.cfg.serviceName, Kind: eventLifecycle, Message: "monitor started"})
	m.logger.LogAttrs(ctx, slog.LevelInfo, "igmon: monitor started",
		slog.String("service", m.cfg.serviceName), slog.String("version", m.cfg.serviceVersion),
		slog.String("environment", m.cfg.environment))
	return nil
}

// Shutdown drains (readiness fails at once, liveness stays green, the drain
// delay passes), stops background work, waits for running checks and
// flushes metrics, all within ctx's deadline. It returns every error that
// prevented a clean stop, joined. A final export that failed (the
// collector is gone) is logged as one warning and is among them wrapping
// exporters.ErrFinalExportFailed, one error per exporter: most services
// do not count it as a failure of their own.
func (m *Monitor) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	if m.shutdown {
		m.mu.Unlock()
		return nil
	}
	m.shutdown = true
	started := m.started
	m.mu.Unlock()
	var errs []error
	m.events.Record(timelineEvent{Component: m.cfg.serviceName, Kind: eventLifecycle, Severity: severityWarning, Message: "draining: readiness fails"})
	if err := m.checks.Drain(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain: %w", err))
	}
	if m.alerting != nil {
		if started {
			// Stop evaluating and deliver what is queued while the
			// deadline allows.
			if err := m.alerting.stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("alerting: %w", err))
			}
		} else if err := m.alerting.disp.Close(); err != nil {
			errs = append(errs, fmt.Errorf("alerting: %w", err))
		}
	}
	m.engine.Stop()
	if m.actions != nil {
		m.actions.stop()
	}
	if m.state != nil {
		// After alerting stopped: the last snapshot holds what it sent.
		if err := m.state.shutdown(); err != nil {
			errs = append(errs, err)
		}
	}
	m.mu.Lock()
	dash := m.dash
	m.mu.Unlock()
	if dash != nil {
		dash.Close()
	}
	if err := m.checks.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := m.closeProbes(); err != nil {
		errs = append(errs, fmt.Errorf("probes: %w", err))
	}
	if m.ownMP != nil {
		// One error per reader, so that a lost final export can be told
		// apart from the rest with errors.Is.
		for _, err := range leaves(m.ownMP.Shutdown(ctx)) {
			errs = append(errs, fmt.Errorf("metrics: %w", err))
		}
	}
	m.logger.LogAttrs(context.Background(), slog.LevelInfo, "igmon: monitor stopped")
	return errors.Join(errs...)
}

// leaves flattens the tree of errors.Join: the SDK joins the error of
// each reader.
func leaves(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if err == nil {
			return nil
		}
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leaves(e)...)
	}
	return out
}
