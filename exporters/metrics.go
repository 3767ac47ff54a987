package exporters

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jackcode/igmon/internal/buildinfo"
)

// scopeName is the instrumentation scope of the pipeline's own metrics.
const scopeName = "github.com/jackcode/igmon/exporters"

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
	m := mp.Meter(scopeName, buildinfo.MeterOptions()...)
	in := &pipelineInstruments{errSets: make(map[errKey]metric.MeasurementOption)}
	var err, e error
	in.failures, e = m.Int64Counter(igsemconv.MetricExportFailures, metric.WithUnit("{export}"),
		metric.WithDescription("Export cycles that failed; the data stays in memory and the next cycle retries."))
	err = errors.Join(err, e)
	in.points, e = m.Int64Counter(igsemconv.MetricDataPointsExported, metric.WithUnit("{data_point}"),
		metric.WithDescription("The number of metric data points for which the export has finished, either successful or failed."))
	err = errors.Join(err, e)
	in.duration, e = m.Float64Histogram(igsemconv.MetricExportDuration, metric.WithUnit("s"),
		metric.WithDescription("The duration of exporting a batch of telemetry records."),
		metric.WithExplicitBucketBoundaries(durationBucketsCopy()...))
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
