package exporters

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Defaults of a push exporter's periodic reader, as in the OpenTelemetry
// specification (OTEL_METRIC_EXPORT_INTERVAL, OTEL_METRIC_EXPORT_TIMEOUT).
const (
	defaultInterval = 60 * time.Second
	defaultTimeout  = 30 * time.Second
)

// ErrInvalidOption is wrapped by every error about a bad option value.
var ErrInvalidOption = errors.New("invalid option")

// Exporter is one destination for metrics. Build it with [OTLP], [Stdout],
// [NewPush] or [NewPull] and hand it to a [Pipeline] (the Monitor does this
// for monitor.WithExporters). An Exporter belongs to one pipeline.
type Exporter struct {
	name     string
	kind     string // otel.component.type
	endpoint string // host:port of an OTLP collector, for the shutdown warning
	push     sdkmetric.Exporter
	pull     sdkmetric.Reader
	interval time.Duration
	timeout  time.Duration
	used     atomic.Bool // set by NewPipeline: a reader can join one provider only
}

// PushOption configures the periodic reader of a push exporter. It is
// accepted by [OTLP], [Stdout] and [NewPush].
type PushOption interface {
	OTLPOption
	StdoutOption
	applyPush(*pushConfig)
}

type pushConfig struct {
	interval, timeout time.Duration
	given             given
	err               error
}

type pushOption func(*pushConfig)

func (f pushOption) applyPush(c *pushConfig)     { f(c) }
func (f pushOption) applyOTLP(c *otlpConfig)     { f(&c.push) }
func (f pushOption) applyStdout(c *stdoutConfig) { f(&c.push) }

// WithInterval sets how often metrics are collected and exported. It
// overrides OTEL_METRIC_EXPORT_INTERVAL; the default is 60s.
func WithInterval(d time.Duration) PushOption {
	return pushOption(func(c *pushConfig) {
		if err := c.given.twice("WithInterval"); err != nil {
			c.err = errors.Join(c.err, err)
			return
		}
		c.interval = d
		if d <= 0 {
			c.err = errors.Join(c.err, fmt.Errorf("%w WithInterval: %v must be positive", ErrInvalidOption, d))
		}
	})
}

// WithTimeout bounds one collect-and-export cycle, retries included. It
// overrides OTEL_METRIC_EXPORT_TIMEOUT (and, for OTLP,
// OTEL_EXPORTER_OTLP_TIMEOUT); the default is 30s for the cycle and 10s for
// an OTLP request.
func WithTimeout(d time.Duration) PushOption {
	return pushOption(func(c *pushConfig) {
		if err := c.given.twice("WithTimeout"); err != nil {
			c.err = errors.Join(c.err, err)
			return
		}
		c.timeout = d
		if d <= 0 {
			c.err = errors.Join(c.err, fmt.Errorf("%w WithTimeout: %v must be positive", ErrInvalidOption, d))
		}
	})
}

// NewPush adapts any sdkmetric.Exporter (a vendor exporter, a file writer)
// to run on a periodic reader behind a [Pipeline]. name must be non-empty
// and unique within the pipeline.
func NewPush(name string, exp sdkmetric.Exporter, opts ...PushOption) (*Exporter, error) {
	if exp == nil {
		return nil, fmt.Errorf("exporters: NewPush %q: %w: exporter must not be nil", name, ErrInvalidOption)
	}
	var c pushConfig
	for _, o := range opts {
		if o != nil {
			o.applyPush(&c)
		}
	}
	if c.err != nil {
		return nil, fmt.Errorf("exporters: NewPush %q: %w", name, c.err)
	}
	if err := validName(name); err != nil {
		return nil, fmt.Errorf("exporters: NewPush: %w", err)
	}
	return newPush(name, "custom_metric_exporter", exp, c), nil
}

func newPush(name, kind string, exp sdkmetric.Exporter, c pushConfig) *Exporter {
	if c.interval <= 0 {
		c.interval = defaultInterval
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	return &Exporter{name: name, kind: kind, push: exp, interval: c.interval, timeout: c.timeout}
}

// NewPull adapts a reader that is collected on demand, such as the
// Prometheus exporter, whose scrape handler reads it.
func NewPull(name string, r sdkmetric.Reader) (*Exporter, error) {
	if r == nil {
		return nil, fmt.Errorf("exporters: NewPull %q: %w: reader must not be nil", name, ErrInvalidOption)
	}
	if err := validName(name); err != nil {
		return nil, fmt.Errorf("exporters: NewPull: %w", err)
	}
	return &Exporter{name: name, kind: "pull_metric_reader", pull: r}, nil
}

// validName keeps exporter names safe and bounded as metric attributes.
func validName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: name %q must be 1 to 64 bytes", ErrInvalidOption, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return fmt.Errorf("%w: name %q: byte %q is not one of [A-Za-z0-9._/-]", ErrInvalidOption, name, c)
		}
	}
	return nil
}

// Shutdown releases an exporter that was never handed to a MeterProvider
// (the provider shuts down the ones it owns).
func (e *Exporter) Shutdown(ctx context.Context) error {
	if e.push != nil {
		return e.push.Shutdown(ctx)
	}
	return e.pull.Shutdown(ctx)
}
