package promname

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestPrometheusMetricName(t *testing.T) {
	cases := map[MetricInfo]string{
		{"http.server.request.duration", TypeHistogram, "s"}:              "http_server_request_duration_seconds",
		{"igmon.dependency.calls", TypeCounter, "{call}"}:                 "igmon_dependency_calls_total",
		{"system.cpu.utilization", TypeGauge, "1"}:                        "system_cpu_utilization_ratio",
		{"db.client.connection.count", TypeUpDownCounter, "{connection}"}: "db_client_connection_count",
		{"system.network.io", TypeCounter, "By"}:                          "system_network_io_bytes_total",
		{"process.cpu.time", TypeCounter, "s"}:                            "process_cpu_time_seconds_total",
		{"net.throughput", TypeGauge, "By/s"}:                             "net_throughput_bytes_per_second",
	}
	for in, want := range cases {
		if got := PrometheusMetricName(in); got != want {
			t.Errorf("%+v → %s, want %s", in, got, want)
		}
	}
}
