// Package metrictest reads what an OpenTelemetry SDK ManualReader
// collected, for the tests of igmon's packages that record dependency and
// server metrics (instrument, monitor): one scope, one metric by name, its
// points by attribute set. Test-only: nothing outside tests imports it.
package metrictest
