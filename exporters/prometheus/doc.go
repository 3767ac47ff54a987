// Package prometheus serves igmon's metrics for Prometheus to scrape: a
// /metrics handler on OpenTelemetry's Prometheus exporter with a private
// registry, never prometheus.DefaultRegisterer, so it cannot collide with
// the host application's own metrics.
//
// The handler serves the Prometheus text format by default and
// OpenMetrics, with the exemplars of sampled spans, when the scraper asks
// for it (Accept: application/openmetrics-text, as Prometheus does).
//
// It is a separate Go module so that services that only push over OTLP do
// not pull in client_golang.
//
//	prom, err := prometheus.New()
//	m, err := monitor.New(monitor.WithExporters(prom.Exporter()))
//	mux.Handle("/metrics", prom.Handler())
package prometheus
