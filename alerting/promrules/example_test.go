package promrules_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/promrules"
)

// A quantile rule as Prometheus evaluates it: the histogram's Prometheus
// names and a le-bucketed histogram_quantile.
func ExampleExport() {
	total, _ := alerting.ParseSelector(`igmon.dependency.duration{igmon.dependency.operation="deposit"}`)
	out, _ := promrules.Export([]alerting.Rule{{
		Name: "DepositSlow", By: []string{"igmon.dependency.name"}, For: 5 * time.Minute,
		Condition: &alerting.Quantile{Histogram: total, Quantile: 0.95, Window: 5 * time.Minute, Value: 0.8},
	}}, promrules.Config{})
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fmt.Println(l)
	}
	// Output:
	// groups:
	//     - name: igmon
	//       rules:
	//         - alert: DepositSlow
	//           expr: histogram_quantile(0.95, sum by (igmon_dependency_name, le) (rate(igmon_dependency_duration_seconds_bucket{igmon_dependency_operation="deposit"}[5m]))) > 0.8
	//           for: 5m
}
