// Package promname is how igmon's metrics look in Prometheus: the list
// of metrics igmon emits with the instrument kind and unit that decide
// their Prometheus names, and the OTel→Prometheus name translation that
// promrules.Export writes and the tests of monitor,
// exporters/prometheus and the casino demo check against. alerting's
// MetricInfo and MetricType are aliases of the types here.
package promname

import (
	"regexp"
	"slices"
	"strings"
)

// MetricType is the OTel instrument kind, which decides the Prometheus
// suffixes.
type MetricType int

// Metric types.
const (
	TypeGauge         MetricType = iota // gauges and observable gauges
	TypeCounter                         // monotonic sums: _total
	TypeUpDownCounter                   // non-monotonic sums: exported as gauges
	TypeHistogram                       // _bucket, _sum, _count
)

// MetricInfo describes a metric a rule may read.
type MetricInfo struct {
	Name string
	Type MetricType
	Unit string
}

// IgmonMetrics are the metrics igmon emits (semantic-convention names where
// they exist), with the instrument kind and unit that decide their
// Prometheus names. The list is complete: monitor's tests build a Monitor
// with every feature wired and fail when a collected metric is missing here
// or differs in kind or unit, so promrules.Export accepts exactly the
// metrics a service running igmon has.
var IgmonMetrics = []MetricInfo{
	// HTTP server middleware and instrumented transports (monitor).
	{"http.server.request.duration", TypeHistogram, "s"},
	{"http.server.active_requests", TypeUpDownCounter, "{request}"},
	{"http.client.request.duration", TypeHistogram, "s"},
	// Dependencies: Track and Transport (monitor).
	{"igmon.dependency.calls", TypeCounter, "{call}"},
	{"igmon.dependency.duration", TypeHistogram, "s"},
	{"igmon.dependency.in_flight", TypeUpDownCounter, "{call}"},
	// Failover groups (failover) and alert actions (monitor).
	{"igmon.failover.calls", TypeCounter, "{call}"},
	{"igmon.failover.breaker.transitions", TypeCounter, "{transition}"},
	{"igmon.failover.breaker.state", TypeGauge, "1"},
	{"igmon.failover.route.changes", TypeCounter, "{change}"},
	{"igmon.action.runs", TypeCounter, "{run}"},
	// Health checks (checks).
	{"igmon.check.status", TypeGauge, "1"},
	{"igmon.check.duration", TypeHistogram, "s"},
	{"igmon.check.transitions", TypeCounter, "{transition}"},
	{"igmon.check.result.age", TypeGauge, "s"},
	// Host (probes.Host). system.cpu.utilization has one series per
	// cpu.mode, idle included.
	{"system.cpu.time", TypeCounter, "s"},
	{"system.cpu.utilization", TypeGauge, "1"},
	{"system.cpu.logical.count", TypeUpDownCounter, "{cpu}"},
	{"system.memory.usage", TypeUpDownCounter, "By"},
	{"system.memory.utilization", TypeGauge, "1"},
	{"system.memory.limit", TypeUpDownCounter, "By"},
	{"system.uptime", TypeGauge, "s"},
	{"system.network.io", TypeCounter, "By"},
	{"system.network.errors", TypeCounter, "{error}"},
	{"system.network.packet.count", TypeCounter, "{packet}"},
	{"system.network.packet.dropped", TypeCounter, "{packet}"},
	{"system.filesystem.usage", TypeUpDownCounter, "By"},
	{"system.filesystem.utilization", TypeGauge, "1"},
	{"system.filesystem.limit", TypeUpDownCounter, "By"},
	{"igmon.system.cpu.load_average.1m", TypeGauge, "{thread}"},
	{"igmon.system.cpu.load_average.5m", TypeGauge, "{thread}"},
	{"igmon.system.cpu.load_average.15m", TypeGauge, "{thread}"},
	// Process (probes.Process).
	{"process.cpu.time", TypeCounter, "s"},
	{"process.cpu.utilization", TypeGauge, "1"},
	{"process.uptime", TypeGauge, "s"},
	{"process.memory.usage", TypeUpDownCounter, "By"},
	{"process.memory.virtual", TypeUpDownCounter, "By"},
	{"process.thread.count", TypeUpDownCounter, "{thread}"},
	{"process.unix.file_descriptor.count", TypeUpDownCounter, "{file_descriptor}"},
	// Go runtime (probes.Runtime).
	{"go.memory.used", TypeUpDownCounter, "By"},
	{"go.memory.limit", TypeUpDownCounter, "By"},
	{"go.memory.allocated", TypeCounter, "By"},
	{"go.memory.allocations", TypeCounter, "{allocation}"},
	{"go.memory.gc.goal", TypeUpDownCounter, "By"},
	{"go.memory.gc.cycles", TypeCounter, "{gc_cycle}"},
	{"go.goroutine.count", TypeUpDownCounter, "{goroutine}"},
	{"go.processor.limit", TypeUpDownCounter, "{thread}"},
	{"go.config.gogc", TypeUpDownCounter, "%"},
	{"go.schedule.duration", TypeHistogram, "s"},
	// Container (probes.Cgroup, cgroup v2 only).
	{"container.cpu.time", TypeCounter, "s"},
	{"container.memory.usage", TypeCounter, "By"},
	{"igmon.container.cpu.limit", TypeGauge, "{cpu}"},
	{"igmon.container.memory.limit", TypeUpDownCounter, "By"},
	// database/sql pools (probes.DBPool).
	{"db.client.connection.count", TypeUpDownCounter, "{connection}"},
	{"db.client.connection.max", TypeUpDownCounter, "{connection}"},
	{"db.client.connection.idle.max", TypeUpDownCounter, "{connection}"},
	{"igmon.db.client.connection.wait.count", TypeCounter, "{request}"},
	{"igmon.db.client.connection.wait.duration", TypeCounter, "s"},
	{"igmon.db.client.connection.closed", TypeCounter, "{connection}"},
	// Synthetic probes (probes.HTTP, TCP, TLS, DNS, GRPCHealth).
	{"igmon.probe.success", TypeGauge, "1"},
	{"igmon.probe.duration", TypeHistogram, "s"},
	{"igmon.probe.phase.duration", TypeHistogram, "s"},
	{"igmon.probe.tls.cert.expiry", TypeGauge, "s"},
	{"dns.lookup.duration", TypeHistogram, "s"},
	// Alerting itself.
	{"igmon.alerts", TypeGauge, "{alert}"},
	{"igmon.alert.evaluation.duration", TypeHistogram, "s"},
	{"igmon.alert.series", TypeGauge, "{series}"},
	{"igmon.alert.notifications", TypeCounter, "{notification}"},
	{"igmon.alert.suppressed", TypeCounter, "{alert}"},
	// The export pipeline (exporters), when a push exporter is configured.
	{"igmon.telemetry.export.failures", TypeCounter, "{export}"},
	{"otel.sdk.exporter.metric_data_point.exported", TypeCounter, "{data_point}"},
	{"otel.sdk.exporter.operation.duration", TypeHistogram, "s"},
}

var promUnits = map[string]string{
	"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds",
	"min": "minutes", "h": "hours", "d": "days",
	"By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
	"KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes",
	"%": "percent", "Hz": "hertz", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "Cel": "celsius",
}

var nonWord = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// PrometheusMetricName is the name Prometheus sees for an OTel metric under
// the default OTel→Prometheus translation (underscore escaping with
// suffixes): dots become underscores, the unit becomes a suffix
// (http.server.request.duration → http_server_request_duration_seconds),
// counters end in _total and unit-1 gauges in _ratio. Histogram series add
// _bucket, _sum and _count to it.
func PrometheusMetricName(m MetricInfo) string {
	tokens := strings.FieldsFunc(nonWord.ReplaceAllString(m.Name, "_"), func(r rune) bool { return r == '_' })
	unit := promUnit(m.Unit)
	if unit != "" && !slices.Contains(tokens, unit) {
		tokens = append(tokens, unit)
	}
	if m.Type == TypeGauge && m.Unit == "1" && !slices.Contains(tokens, "ratio") {
		tokens = append(tokens, "ratio")
	}
	if m.Type == TypeCounter && (len(tokens) == 0 || tokens[len(tokens)-1] != "total") {
		tokens = append(tokens, "total")
	}
	name := strings.Join(tokens, "_")
	if name != "" && name[0] >= '0' && name[0] <= '9' {
		name = "_" + name
	}
	return name
}

func promUnit(u string) string {
	if u == "" || u == "1" || strings.HasPrefix(u, "{") {
		return ""
	}
	// Drop annotations such as By{packet}.
	if i := strings.IndexByte(u, '{'); i >= 0 {
		u = u[:i]
	}
	main, per, hasPer := strings.Cut(u, "/")
	out := promUnits[main]
	if out == "" {
		out = strings.Trim(nonWord.ReplaceAllString(main, "_"), "_")
	}
	if hasPer {
		p := map[string]string{"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}[per]
		if p == "" {
			p = strings.Trim(nonWord.ReplaceAllString(per, "_"), "_")
		}
		out += "_per_" + p
	}
	return out
}

// PrometheusLabelName translates an attribute key: igmon.dependency.name →
// igmon_dependency_name.
func PrometheusLabelName(key string) string {
	s := nonWord.ReplaceAllString(key, "_")
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "key_" + s
	}
	return s
}
