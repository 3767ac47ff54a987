package exporters

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jackcode/igmon/internal/buildinfo"
)

// ScopeName is the instrumentation scope of the pipeline's own metrics.
const ScopeName = "github.com/jackcode/igmon/exporters"

// The pipeline's own metrics. The two otel.sdk.* ones follow the
// semantic conventions for SDK self-observability; the failure count per
// cycle has no convention and carries the igmon prefix.
const (
	// MetricExportFailures counts failed export cycles (Int64Counter,
	// {export}); attributes otel.component.name, otel.component.type,
	// error.type.
	MetricExportFailures = "igmon.telemetry.export.failures"
	// MetricDataPointsExported counts data points handed to exporters
	// (Int64Counter, {data_point}); error.type is set on failed ones.
	MetricDataPointsExported = "otel.sdk.exporter.metric_data_point.exported"
	// MetricExportDuration is the duration of one export call
	// (Float64Histogram, s); error.type on failures.
	MetricExportDuration = "otel.sdk.exporter.operation.duration"
)

type pipelineInstruments struct {
	failures metric.Int64Counter
	points   metric.Int64Counter
	duration metric.Float64Histogram

	mu      sync.Mutex
	errSets map[errKey]metric.MeasurementOption
}

type errKey struct {
	s   *sink
	typ string
}

func newPipelineInstruments(mp metric.MeterProvider) (*pipelineInstruments, error) {
	m := mp.Meter(ScopeName, buildinfo.MeterOptions()...)
	in := &pipelineInstruments{errSets: make(map[errKey]metric.MeasurementOption)}
	var err, e error
	in.failures, e = m.Int64Counter(MetricExportFailures, metric.WithUnit("{export}"),
		metric.WithDescription("Export cycles that failed; the data stays in memory and the next cycle retries."))
	err = errors.Join(err, e)
	in.points, e = m.Int64Counter(MetricDataPointsExported, metric.WithUnit("{data_point}"),
		metric.WithDescription("The number of metric data points for which the export has finished, either successful or failed."))
	err = errors.Join(err, e)
	in.duration, e = m.Float64Histogram(MetricExportDuration, metric.WithUnit("s"),
		metric.WithDescription("The duration of exporting a batch of telemetry records."),
		metric.WithExplicitBucketBoundaries(DurationBuckets()...))
	err = errors.Join(err, e)
	return in, err
}

func (in *pipelineInstruments) record(ctx context.Context, s *sink, err error, points int64, d time.Duration) {
	opt := metric.WithAttributeSet(s.attrs)
	if err != nil {
		opt = in.errOption(s, errorType(err))
		in.failures.Add(ctx, 1, opt)
	}
	in.points.Add(ctx, points, opt)
	in.duration.Record(ctx, d.Seconds(), opt)
}

// errOption caches the attribute set per (exporter, error.type): both are
// bounded, and the set is then built once.
func (in *pipelineInstruments) errOption(s *sink, typ string) metric.MeasurementOption {
	k := errKey{s, typ}
	in.mu.Lock()
	defer in.mu.Unlock()
	if o, ok := in.errSets[k]; ok {
		return o
	}
	kvs := append(s.attrs.ToSlice(), attribute.String("error.type", typ))
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	in.errSets[k] = o
	return o
}

// errorType is a low-cardinality error.type: the gRPC status code name,
// "timeout", or "_OTHER".
func errorType(err error) string {
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown && st.Code() != codes.OK {
		return st.Code().String()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "_OTHER"
}
