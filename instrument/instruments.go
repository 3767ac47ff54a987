package instrument

import (
	"os"
	"strings"

	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/buildinfo"
	"github.com/jackcode/igmon/internal/igsemconv"
)

// scopeName is the instrumentation scope of the metrics this package
// records (dependency calls, HTTP client and server).
const scopeName = "github.com/jackcode/igmon/instrument"

// Metric and attribute names, spelled once in internal/igsemconv.
const (
	metricHTTPClientDuration   = igsemconv.MetricHTTPClientDuration
	metricHTTPServerDuration   = igsemconv.MetricHTTPServerDuration
	metricHTTPServerActive     = igsemconv.MetricHTTPServerActive
	metricDependencyDuration   = igsemconv.MetricDependencyDuration
	metricDependencyCalls      = igsemconv.MetricDependencyCalls
	metricDependencyInFlight   = igsemconv.MetricDependencyInFlight
	attrDependencyKind         = igsemconv.AttrDependencyKind
	attrDependencyName         = igsemconv.AttrDependencyName
	attrDependencyOperation    = igsemconv.AttrDependencyOperation
	attrDependencyOutcome      = igsemconv.AttrDependencyOutcome
	attrErrorType              = igsemconv.AttrErrorType
	attrHTTPMethod             = igsemconv.AttrHTTPMethod
	attrHTTPStatus             = igsemconv.AttrHTTPStatus
	attrHTTPRoute              = igsemconv.AttrHTTPRoute
	attrServerAddress          = igsemconv.AttrServerAddress
	attrServerPort             = igsemconv.AttrServerPort
	attrURLScheme              = igsemconv.AttrURLScheme
	attrNetworkProtocolVersion = igsemconv.AttrNetworkProtocolVersion
)

// httpDurationBuckets are the semantic conventions' advice for HTTP
// durations.
var httpDurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// dependencyDurationBuckets extend the HTTP buckets down to a millisecond
// (cache and database calls) and up to 30s (slow payment and KYC calls).
var dependencyDurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30}

// instruments are created for each dependency and middleware; the SDK
// returns the same instrument for the same name and settings, so that all
// of them record into one set of series.
type instruments struct {
	clientDuration metric.Float64Histogram
	serverDuration metric.Float64Histogram
	serverActive   metric.Int64UpDownCounter
	depDuration    metric.Float64Histogram
	depCalls       metric.Int64Counter
	depInFlight    metric.Int64UpDownCounter
	methods        methodTable
}

func newInstruments(mp metric.MeterProvider) (*instruments, error) {
	m := mp.Meter(scopeName, buildinfo.MeterOptions()...)
	in := &instruments{methods: newMethodTable(os.Getenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS"))}
	var err error
	if in.clientDuration, err = m.Float64Histogram(metricHTTPClientDuration,
		metric.WithUnit("s"), metric.WithDescription("Duration of HTTP client requests."),
		metric.WithExplicitBucketBoundaries(httpDurationBuckets...)); err != nil {
		return nil, err
	}
	if in.serverDuration, err = m.Float64Histogram(metricHTTPServerDuration,
		metric.WithUnit("s"), metric.WithDescription("Duration of HTTP server requests."),
		metric.WithExplicitBucketBoundaries(httpDurationBuckets...)); err != nil {
		return nil, err
	}
	if in.serverActive, err = m.Int64UpDownCounter(metricHTTPServerActive,
		metric.WithUnit("{request}"), metric.WithDescription("Number of active HTTP server requests.")); err != nil {
		return nil, err
	}
	if in.depDuration, err = m.Float64Histogram(metricDependencyDuration,
		metric.WithUnit("s"), metric.WithDescription("Duration of calls to dependencies (payment, game provider, KYC, database, ...), by operation and outcome."),
		metric.WithExplicitBucketBoundaries(dependencyDurationBuckets...)); err != nil {
		return nil, err
	}
	if in.depCalls, err = m.Int64Counter(metricDependencyCalls,
		metric.WithUnit("{call}"), metric.WithDescription("Calls to dependencies, by operation and outcome.")); err != nil {
		return nil, err
	}
	if in.depInFlight, err = m.Int64UpDownCounter(metricDependencyInFlight,
		metric.WithUnit("{call}"), metric.WithDescription("Calls to dependencies in progress.")); err != nil {
		return nil, err
	}
	return in, nil
}

// methodOther is the index of "_OTHER" in a methodTable.
const methodOther = 0

// maxKnownMethods bounds OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS.
const maxKnownMethods = 32

// methodTable maps request methods to small indexes; index 0 is "_OTHER".
type methodTable struct {
	names []string
}

// defaultMethods is the semantic conventions' list (RFC 9110, RFC 5789 and
// the QUERY method).
var defaultMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"}

// newMethodTable builds the known-method list; a non-empty env value
// (OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS, comma-separated) replaces the
// default list entirely, as the semantic conventions require.
func newMethodTable(env string) methodTable {
	t := methodTable{names: []string{errorTypeOther}}
	list := defaultMethods
	if env = strings.TrimSpace(env); env != "" {
		list = nil
		for _, m := range strings.Split(env, ",") {
			if m = strings.TrimSpace(m); m != "" && len(list) < maxKnownMethods {
				list = append(list, m)
			}
		}
	}
	t.names = append(t.names, list...)
	return t
}

func (t *methodTable) index(m string) uint8 {
	for i := 1; i < len(t.names); i++ {
		if t.names[i] == m {
			return uint8(i)
		}
	}
	return methodOther
}

func (t *methodTable) name(i uint8) string { return t.names[i] }

// protocolVersion maps an HTTP version to the bounded
// network.protocol.version values; 0 means unknown (attribute omitted).
func protocolVersion(major, minor int) uint8 {
	switch {
	case major == 1 && minor == 1:
		return 1
	case major == 2:
		return 2
	case major == 1 && minor == 0:
		return 3
	case major == 3:
		return 4
	}
	return 0
}

var protocolNames = [...]string{"", "1.1", "2", "1.0", "3"}

// statusText returns the status code as a string for error.type without
// allocating for the codes in use.
func statusText(code int) string {
	if code >= 100 && code < 600 {
		return statusStrings[code-100]
	}
	return errorTypeOther
}

var statusStrings = func() (s [500]string) {
	for i := range s {
		s[i] = itoa3(100 + i)
	}
	return s
}()

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}
