package alerting

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// MetricSource yields the current metric data. *sdkmetric.ManualReader
// implements it; the evaluator reuses one ResourceMetrics across cycles so
// that the SDK can reuse its memory.
type MetricSource interface {
	Collect(ctx context.Context, rm *metricdata.ResourceMetrics) error
}

// metricSourceFunc adapts a function to MetricSource.
type metricSourceFunc func(ctx context.Context, rm *metricdata.ResourceMetrics) error

// Collect calls f.
func (f metricSourceFunc) Collect(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return f(ctx, rm)
}

// CheckSource reports health-check states as plain strings ("pass",
// "warn", "fail", "unknown") and when the check entered that state. The
// monitor package adapts the check registry to it.
type CheckSource interface {
	CheckStatus(name string) (status string, since time.Time, ok bool)
}

// checkLister is optionally implemented by a CheckSource so that a
// CheckState rule without explicit check names watches every check.
type checkLister interface {
	CheckNames() []string
}
