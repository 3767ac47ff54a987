package exporters

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc/credentials"
)

// defaultEndpoint is where OTLP exports go when neither an option nor the
// environment names an endpoint: a collector agent on the same host.
const defaultEndpoint = "localhost:" + defaultPort

// defaultOTLPTimeout bounds one OTLP request, retries included, as the
// specification's OTEL_EXPORTER_OTLP_TIMEOUT default.
const defaultOTLPTimeout = 10 * time.Second

// temporality chooses how sums and histograms are reported.
type temporality int

// The temporalities of OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE.
const (
	// cumulative reports running totals. A failed export loses nothing: the
	// next one carries the totals. Prometheus-style backends want it.
	cumulative temporality = iota
	// delta reports counters and histograms as changes since the last
	// export; a failed export loses that interval.
	delta
	// lowMemory is delta for synchronous counters and histograms only.
	lowMemory
)

func (t temporality) selector() sdkmetric.TemporalitySelector {
	switch t {
	case delta:
		return func(k sdkmetric.InstrumentKind) metricdata.Temporality {
			switch k {
			case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindHistogram, sdkmetric.InstrumentKindObservableCounter:
				return metricdata.DeltaTemporality
			}
			return metricdata.CumulativeTemporality
		}
	case lowMemory:
		return func(k sdkmetric.InstrumentKind) metricdata.Temporality {
			switch k {
			case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindHistogram:
				return metricdata.DeltaTemporality
			}
			return metricdata.CumulativeTemporality
		}
	}
	return sdkmetric.DefaultTemporalitySelector
}

// OTLPOption configures [OTLP].
type OTLPOption interface {
	applyOTLP(*otlpConfig)
}

type otlpConfig struct {
	push        pushConfig
	lookup      lookupFunc
	endpoint    string
	scheme      string
	insecure    *bool
	tls         *tls.Config
	headers     map[string]string
	compression string
	noRetry     bool
	name        string
	given       given
	errs        []error
}

type otlpOption func(*otlpConfig)

func (f otlpOption) applyOTLP(c *otlpConfig) { f(c) }

// once reports whether the single-valued option called name is given for
// the first time, recording the error of a second one.
func (c *otlpConfig) once(name string) bool {
	if err := c.given.twice(name); err != nil {
		c.errs = append(c.errs, err)
		return false
	}
	return true
}

func (c *otlpConfig) fail(option, format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w %s: "+format, append([]any{ErrInvalidOption, option}, a...)...))
}

// WithEndpoint sets the collector: host:port (TLS unless [WithInsecure]),
// http://host:port (plain text) or https://host:port. It overrides
// OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT; the default is localhost:4317 (a
// collector agent on the same host), and port 4317 when none is named.
func WithEndpoint(endpoint string) OTLPOption {
	return otlpOption(func(c *otlpConfig) {
		if !c.once("WithEndpoint") {
			return
		}
		hp, scheme, err := parseEndpoint(endpoint)
		if err != nil {
			c.fail("WithEndpoint", "%v", err)
			return
		}
		c.endpoint, c.scheme = hp, scheme
	})
}

// WithInsecure sends plain text instead of TLS, for a collector agent on
// the same node or in the same pod.
func WithInsecure() OTLPOption {
	return otlpOption(func(c *otlpConfig) {
		t := true
		c.insecure = &t
	})
}

// WithTLSConfig sets the TLS configuration (private CA, client
// certificate for mTLS). It replaces the OTEL_EXPORTER_OTLP_[METRICS_]
// CERTIFICATE, CLIENT_CERTIFICATE and CLIENT_KEY files.
func WithTLSConfig(cfg *tls.Config) OTLPOption {
	return otlpOption(func(c *otlpConfig) {
		if !c.once("WithTLSConfig") {
			return
		}
		if cfg == nil {
			c.fail("WithTLSConfig", "config must not be nil")
		}
		c.tls = cfg
	})
}

// WithHeaders adds gRPC metadata to every export (an API key for a hosted
// collector). Keys are lower-cased. It replaces
// OTEL_EXPORTER_OTLP_[METRICS_]HEADERS. Give all headers in one map:
// a second WithHeaders is refused.
func WithHeaders(h map[string]string) OTLPOption {
	return otlpOption(func(c *otlpConfig) {
		if !c.once("WithHeaders") {
			return
		}
		c.headers = make(map[string]string, len(h))
		for k, v := range h {
			k = strings.ToLower(k)
			if err := checkHeaderKey(k); err != nil {
				c.fail("WithHeaders", "%v", err)
			}
			c.headers[k] = v
		}
	})
}

// WithoutCompression turns gzip, igmon's default, off.
func WithoutCompression() OTLPOption {
	return otlpOption(func(c *otlpConfig) { c.compression = "none" })
}

// WithoutRetry makes a failed request fail at once instead of retrying
// with backoff within the timeout. With cumulative temporality nothing is
// lost: the next cycle carries the totals.
func WithoutRetry() OTLPOption {
	return otlpOption(func(c *otlpConfig) { c.noRetry = true })
}

// WithName sets the exporter's name in logs, metrics and the telemetry
// check; the default is "otlp".
func WithName(name string) OTLPOption {
	return otlpOption(func(c *otlpConfig) {
		if !c.once("WithName") {
			return
		}
		if err := validName(name); err != nil {
			c.fail("WithName", "%v", err)
		}
		c.name = name
	})
}

// withEnvLookup reads the OTEL_* variables through lookup instead of
// os.LookupEnv (configuration from a file, tests).
func withEnvLookup(lookup lookupFunc) OTLPOption {
	return otlpOption(func(c *otlpConfig) {
		if !c.once("withEnvLookup") {
			return
		}
		if lookup == nil {
			c.fail("withEnvLookup", "lookup must not be nil")
		}
		c.lookup = lookup
	})
}

// OTLP returns an exporter that pushes to an OpenTelemetry Collector over
// gRPC. Options win over the OTEL_EXPORTER_OTLP_* and OTEL_METRIC_EXPORT_*
// variables (including the CERTIFICATE, CLIENT_CERTIFICATE and CLIENT_KEY
// PEM files for a private CA and mutual TLS), which win over the defaults:
// localhost:4317 over TLS, gzip, cumulative temporality, a 60s interval
// and a 10s request timeout. A bad
// option or variable is an error naming it. OTLP does not connect: a
// collector that is down shows up as failed exports, never as an error
// here.
func OTLP(ctx context.Context, opts ...OTLPOption) (*Exporter, error) {
	c := otlpConfig{lookup: os.LookupEnv, name: "otlp"}
	for _, o := range opts {
		if o != nil {
			o.applyOTLP(&c)
		}
	}
	if c.push.err != nil {
		c.errs = append(c.errs, c.push.err)
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, fmt.Errorf("exporters: OTLP: %w", err)
	}
	env, err := readEnv(c.lookup)
	if err != nil {
		return nil, err
	}
	if c.endpoint == "" {
		c.endpoint, c.scheme = env.endpoint, env.scheme
	}
	if c.endpoint == "" {
		c.endpoint = defaultEndpoint
	}
	insecure := c.scheme == "http"
	if c.insecure != nil {
		insecure = *c.insecure
	} else if env.insecure != nil && c.scheme == "" {
		// The specification lets INSECURE decide only for endpoints
		// without a scheme; a scheme is explicit.
		insecure = *env.insecure
	}
	if c.scheme == "https" && c.insecure != nil && *c.insecure {
		return nil, fmt.Errorf("exporters: OTLP: %w WithInsecure: contradicts the https:// endpoint", ErrInvalidOption)
	}
	if c.headers == nil {
		c.headers = env.headers
	}
	if c.tls == nil && !insecure {
		if c.tls, err = tlsFromEnv(env); err != nil {
			return nil, err
		}
	}
	if c.compression == "" {
		c.compression = env.compression
	}
	if c.compression == "" {
		c.compression = "gzip"
	}
	// The temporality comes from the standard variable only
	// (cumulative, delta or lowmemory); cumulative by default.
	temporality := cumulative
	if env.tempSet {
		temporality = env.temporality
	}
	reqTimeout := defaultOTLPTimeout
	if env.timeout > 0 {
		reqTimeout = env.timeout
	}
	if c.push.interval <= 0 {
		c.push.interval = env.interval
	}
	if c.push.timeout > 0 {
		reqTimeout = c.push.timeout
	} else {
		c.push.timeout = env.readerTO
	}

	gopts := []otlpmetricgrpc.Option{
		otlpmetricgrpc.WithEndpoint(c.endpoint),
		otlpmetricgrpc.WithTimeout(reqTimeout),
		otlpmetricgrpc.WithTemporalitySelector(temporality.selector()),
	}
	if insecure {
		gopts = append(gopts, otlpmetricgrpc.WithInsecure())
	} else {
		cfg := c.tls
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		gopts = append(gopts, otlpmetricgrpc.WithTLSCredentials(credentials.NewTLS(cfg)))
	}
	if len(c.headers) > 0 {
		gopts = append(gopts, otlpmetricgrpc.WithHeaders(maps.Clone(c.headers)))
	}
	if c.compression == "gzip" {
		gopts = append(gopts, otlpmetricgrpc.WithCompressor("gzip"))
	}
	if c.noRetry {
		gopts = append(gopts, otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}))
	}
	exp, err := otlpmetricgrpc.New(ctx, gopts...)
	if err != nil {
		return nil, fmt.Errorf("exporters: OTLP: %w", err)
	}
	e := newPush(c.name, "otlp_grpc_metric_exporter", exp, c.push)
	e.endpoint = c.endpoint
	return e, nil
}
