package exporters

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The environment variables igmon reads. The per-signal METRICS form wins
// over the generic one; options win over both.
const (
	envSDKDisabled          = "OTEL_SDK_DISABLED"
	envEndpoint             = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envMetricsEndpoint      = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
	envHeaders              = "OTEL_EXPORTER_OTLP_HEADERS"
	envMetricsHeaders       = "OTEL_EXPORTER_OTLP_METRICS_HEADERS"
	envInsecure             = "OTEL_EXPORTER_OTLP_INSECURE"
	envMetricsInsecure      = "OTEL_EXPORTER_OTLP_METRICS_INSECURE"
	envTimeout              = "OTEL_EXPORTER_OTLP_TIMEOUT"
	envMetricsTimeout       = "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"
	envCompression          = "OTEL_EXPORTER_OTLP_COMPRESSION"
	envMetricsCompression   = "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION"
	envTemporality          = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"
	envMetricExportInterval = "OTEL_METRIC_EXPORT_INTERVAL"
	envMetricExportTimeout  = "OTEL_METRIC_EXPORT_TIMEOUT"

	// PEM files for TLS: the CA that signs the collector's certificate,
	// and this service's certificate and key for mutual TLS.
	envCertificate              = "OTEL_EXPORTER_OTLP_CERTIFICATE"
	envMetricsCertificate       = "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE"
	envClientCertificate        = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"
	envMetricsClientCertificate = "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE"
	envClientKey                = "OTEL_EXPORTER_OTLP_CLIENT_KEY"
	envMetricsClientKey         = "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY"
)

// ErrInvalidEnv is wrapped by every error about a bad environment variable.
var ErrInvalidEnv = errors.New("invalid environment variable")

// envError reports an environment variable igmon could not parse. Its text
// names the variable and the problem but never the value of a header, which
// usually carries a credential.
type envError struct {
	Var string
	Err error
}

// Error names the variable and the problem.
func (e *envError) Error() string { return "exporters: " + e.Var + ": " + e.Err.Error() }

// Unwrap returns ErrInvalidEnv and the cause.
func (e *envError) Unwrap() []error { return []error{ErrInvalidEnv, e.Err} }

// lookupFunc reads one environment variable; os.LookupEnv is the default.
type lookupFunc func(key string) (string, bool)

// Disabled reports whether OTEL_SDK_DISABLED asks for telemetry to be
// switched off. The Go SDK does not honour the variable itself. A value
// that is not a boolean is an error wrapping [ErrInvalidEnv].
func Disabled() (bool, error) { return disabled(os.LookupEnv) }

func disabled(lookup lookupFunc) (bool, error) {
	v, ok := lookup(envSDKDisabled)
	if !ok || strings.TrimSpace(v) == "" {
		return false, nil
	}
	b, err := parseBool(v)
	if err != nil {
		return false, &envError{Var: envSDKDisabled, Err: err}
	}
	return b, nil
}

// OTLPConfigured reports whether an OTLP endpoint is set in the
// environment, which makes the Monitor export over OTLP when no exporter is
// named.
func OTLPConfigured() bool { return otlpConfigured(os.LookupEnv) }

func otlpConfigured(lookup lookupFunc) bool {
	for _, k := range []string{envMetricsEndpoint, envEndpoint} {
		if v, ok := lookup(k); ok && strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// envConfig is what the environment says; zero values mean "not set".
type envConfig struct {
	endpoint    string // host:port
	scheme      string // "http", "https" or "" for a bare host:port
	insecure    *bool
	headers     map[string]string
	timeout     time.Duration
	compression string
	temporality temporality
	tempSet     bool
	interval    time.Duration
	readerTO    time.Duration
	// TLS files: the variable each path came from, so that an unreadable
	// file is reported under the name the operator set.
	caFile, certFile, keyFile string
	caVar, certVar, keyVar    string
}

// readEnv parses every variable igmon reads for OTLP and reports all the
// bad ones at once.
func readEnv(lookup lookupFunc) (envConfig, error) {
	var c envConfig
	var errs []error
	get := func(keys ...string) (string, string, bool) {
		for _, k := range keys {
			if v, ok := lookup(k); ok && strings.TrimSpace(v) != "" {
				return k, v, true
			}
		}
		return "", "", false
	}
	fail := func(k string, err error) { errs = append(errs, &envError{Var: k, Err: err}) }
	if k, v, ok := get(envMetricsEndpoint, envEndpoint); ok {
		hp, scheme, err := parseEndpoint(v)
		if err != nil {
			fail(k, err)
		}
		c.endpoint, c.scheme = hp, scheme
	}
	if k, v, ok := get(envMetricsInsecure, envInsecure); ok {
		b, err := parseBool(v)
		if err != nil {
			fail(k, err)
		}
		c.insecure = &b
	}
	if k, v, ok := get(envMetricsHeaders, envHeaders); ok {
		h, err := parseHeaders(v)
		if err != nil {
			fail(k, err)
		}
		c.headers = h
	}
	if k, v, ok := get(envMetricsTimeout, envTimeout); ok {
		d, err := parseMillis(v)
		if err != nil {
			fail(k, err)
		}
		c.timeout = d
	}
	if k, v, ok := get(envMetricsCompression, envCompression); ok {
		s, err := parseCompression(v)
		if err != nil {
			fail(k, err)
		}
		c.compression = s
	}
	if k, v, ok := get(envTemporality); ok {
		t, err := parseTemporality(v)
		if err != nil {
			fail(k, err)
		}
		c.temporality, c.tempSet = t, err == nil
	}
	if k, v, ok := get(envMetricExportInterval); ok {
		d, err := parseMillis(v)
		if err != nil {
			fail(k, err)
		}
		c.interval = d
	}
	if k, v, ok := get(envMetricsCertificate, envCertificate); ok {
		c.caVar, c.caFile = k, strings.TrimSpace(v)
	}
	if k, v, ok := get(envMetricsClientCertificate, envClientCertificate); ok {
		c.certVar, c.certFile = k, strings.TrimSpace(v)
	}
	if k, v, ok := get(envMetricsClientKey, envClientKey); ok {
		c.keyVar, c.keyFile = k, strings.TrimSpace(v)
	}
	if (c.certFile == "") != (c.keyFile == "") {
		k := envClientCertificate
		if c.certFile != "" {
			k = envClientKey
		}
		fail(k, errors.New("must be set together with the client certificate and key"))
	}
	if k, v, ok := get(envMetricExportTimeout); ok {
		d, err := parseMillis(v)
		if err != nil {
			fail(k, err)
		}
		c.readerTO = d
	}
	return c, errors.Join(errs...)
}

// parseBool accepts true and false in any case, the only spellings the
// specification defines.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", truncate(s))
}

// maxMillis keeps a millisecond count within time.Duration.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// parseMillis parses a positive whole number of milliseconds.
func parseMillis(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of milliseconds", truncate(s))
	}
	if n <= 0 || n > maxMillis {
		return 0, fmt.Errorf("%d ms must be between 1 and %d", n, maxMillis)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func parseCompression(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "gzip", "none":
		return v, nil
	}
	return "", fmt.Errorf("%q is not gzip or none", truncate(s))
}

func parseTemporality(s string) (temporality, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cumulative":
		return cumulative, nil
	case "delta":
		return delta, nil
	case "lowmemory":
		return lowMemory, nil
	}
	return 0, fmt.Errorf("%q is not cumulative, delta or lowmemory", truncate(s))
}

// defaultPort is the OTLP/gRPC port used when an endpoint names none.
const defaultPort = "4317"

// parseEndpoint accepts http://host[:port], https://host[:port] (any path
// is ignored: gRPC has none) and a bare host:port. It returns host:port and
// the scheme ("" for a bare host:port).
func parseEndpoint(s string) (hostport, scheme string, err error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			return "", "", errors.New("value is neither an http(s) URL nor host:port")
		}
		if err := checkHostPort(host, port); err != nil {
			return "", "", err
		}
		return net.JoinHostPort(host, port), "", nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("not a valid URL: %w", stripURLError(err))
	}
	switch u.Scheme {
	case "http", "https":
	default:
		return "", "", fmt.Errorf("scheme %q is not http or https", truncate(u.Scheme))
	}
	if u.User != nil {
		return "", "", errors.New("credentials in the URL are not allowed: use the HEADERS variable")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = defaultPort
	}
	if err := checkHostPort(host, port); err != nil {
		return "", "", err
	}
	return net.JoinHostPort(host, port), u.Scheme, nil
}

func checkHostPort(host, port string) error {
	if host == "" {
		return errors.New("host must not be empty")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return fmt.Errorf("port %q is not in 1-65535", truncate(port))
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c <= ' ' || c == 0x7f || c == '/' || c == '@' {
			return fmt.Errorf("host has a forbidden byte %q", c)
		}
	}
	return nil
}

// stripURLError drops the URL (which may hold a secret) from url.Parse's
// error.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseHeaders parses the W3C-baggage-style list k1=v1,k2=v2 of the
// HEADERS variables. Keys become lower-case gRPC metadata keys; values are
// percent-decoded. Errors name the entry's position and key, never its
// value.
func parseHeaders(s string) (map[string]string, error) {
	h := make(map[string]string)
	for i, entry := range strings.Split(s, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("entry %d: missing '=' between key and value", i+1)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if err := checkHeaderKey(k); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("entry %d (key %q): value is not valid percent-encoding", i+1, k)
		}
		for j := 0; j < len(dv); j++ {
			if c := dv[j]; c < 0x20 || c > 0x7e {
				return nil, fmt.Errorf("entry %d (key %q): value has a byte outside printable ASCII", i+1, k)
			}
		}
		h[k] = dv
	}
	return h, nil
}

// checkHeaderKey accepts what gRPC accepts as an ASCII metadata key.
func checkHeaderKey(k string) error {
	if k == "" {
		return errors.New("key must not be empty")
	}
	if strings.HasPrefix(k, "grpc-") || strings.HasSuffix(k, "-bin") || k[0] == ':' {
		return fmt.Errorf("key %q is reserved or binary", truncate(k))
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("key %q has byte %q, not one of [a-z0-9._-]", truncate(k), c)
		}
	}
	return nil
}

// truncate keeps an echoed bad value short.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
