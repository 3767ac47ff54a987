// Package exporters gets igmon's metrics out of the process without ever
// slowing the service down.
//
// An [Exporter] is one destination: [OTLP] pushes to an OpenTelemetry
// Collector over gRPC (configured by options and the standard OTEL_*
// environment variables), [Stdout] prints readable metrics for development,
// [NewPush] adapts any sdkmetric.Exporter and [NewPull] any pull reader such
// as the Prometheus scrape handler of the nested module
// github.com/jackcode/igmon/exporters/prometheus.
//
// A [Pipeline] turns exporters into the readers of a MeterProvider. Push
// exporters run on a periodic reader, so an instrumented call only updates an
// in-memory aggregate and never waits for the network. The pipeline counts
// export failures as metrics, logs them with rate limiting (the first
// failure, then at most once per interval with a count, then the recovery)
// and reports them through [Pipeline.Check], which the Monitor registers as
// the non-critical "telemetry" health check.
//
// [InProcess] is the reader igmon reads itself (alert rules, dashboard): the
// same instruments and counts that are exported, with histograms aggregated
// as base-2 exponential histograms ([InProcessAggregation]) so that
// in-process quantiles are within a few percent of the truth, while
// exporters keep their configured buckets. [BucketAdvice] gives every
// duration histogram the semantic-convention bucket boundaries.
package exporters
