// Package igsemconv holds igmon's own semantic conventions: the names of the
// metrics and attributes its packages emit where OpenTelemetry defines none
// (and the few OTel names several packages share). One place, so a name
// is spelled once; docs/metrics.md documents them for users, who match the
// strings, not Go constants.
package igsemconv

// Emitted by package instrument. The HTTP ones are OpenTelemetry semantic
// conventions; igmon.* names exist only where the conventions have none.
const (
	MetricHTTPClientDuration   = "http.client.request.duration"
	MetricHTTPServerDuration   = "http.server.request.duration"
	MetricHTTPServerActive     = "http.server.active_requests"
	MetricDependencyDuration   = "igmon.dependency.duration"
	MetricDependencyCalls      = "igmon.dependency.calls"
	MetricDependencyInFlight   = "igmon.dependency.in_flight"
	AttrDependencyKind         = "igmon.dependency.kind"
	AttrDependencyName         = "igmon.dependency.name"
	AttrDependencyOperation    = "igmon.dependency.operation"
	AttrDependencyOutcome      = "igmon.dependency.outcome"
	AttrErrorType              = "error.type"
	AttrHTTPMethod             = "http.request.method"
	AttrHTTPStatus             = "http.response.status_code"
	AttrHTTPRoute              = "http.route"
	AttrServerAddress          = "server.address"
	AttrServerPort             = "server.port"
	AttrURLScheme              = "url.scheme"
	AttrNetworkProtocolVersion = "network.protocol.version"
)

// Emitted by package checks.
const (
	MetricCheckStatus      = "igmon.check.status"
	MetricCheckDuration    = "igmon.check.duration"
	MetricCheckTransitions = "igmon.check.transitions"
	MetricCheckAge         = "igmon.check.result.age"
	AttrCheckName          = "igmon.check.name"
	AttrCheckState         = "igmon.check.state"
	AttrComponentType      = "igmon.component.type"
)

// Emitted by package probes.
const (
	MetricContainerCPULimit    = "igmon.container.cpu.limit"
	MetricContainerMemoryLimit = "igmon.container.memory.limit"
	MetricDBWaitCount          = "igmon.db.client.connection.wait.count"
	MetricDBWaitDuration       = "igmon.db.client.connection.wait.duration"
	MetricDBClosed             = "igmon.db.client.connection.closed"
	// AttrDBCloseReason is max_idle, max_idle_time or max_lifetime.
	AttrDBCloseReason        = "igmon.db.client.connection.close_reason"
	MetricLoadAverage1m      = "igmon.system.cpu.load_average.1m"
	MetricLoadAverage5m      = "igmon.system.cpu.load_average.5m"
	MetricLoadAverage15m     = "igmon.system.cpu.load_average.15m"
	MetricProbeSuccess       = "igmon.probe.success"
	MetricProbeDuration      = "igmon.probe.duration"
	MetricProbePhaseDuration = "igmon.probe.phase.duration"
	MetricProbeCertExpiry    = "igmon.probe.tls.cert.expiry"
	MetricDNSLookupDuration  = "dns.lookup.duration"
	AttrProbeName            = "igmon.probe.name"
	AttrProbeKind            = "igmon.probe.kind"
	AttrProbePhase           = "igmon.probe.phase"
	AttrFailureReason        = "igmon.probe.failure_reason"
)

// Emitted by package exporters.
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
