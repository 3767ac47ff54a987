package rulefile_test

import (
	"fmt"
	"strings"

	"github.com/jackcode/igmon/alerting/rulefile"
)

func ExampleLoad() {
	rules, err := rulefile.Load(strings.NewReader(`
rules:
  - name: NoSuccessfulDeposits
    by: [igmon.dependency.name]
    labels: {severity: page}
    absence:
      success: 'igmon.dependency.calls{igmon.dependency.operation="deposit", igmon.dependency.outcome="success"}'
      requests: 'igmon.dependency.calls{igmon.dependency.operation="deposit"}'
      window: 10m
      min_requests: 5
`))
	fmt.Println(len(rules), rules[0].Name, fmt.Sprintf("%T", rules[0].Condition), err)

	_, err = rulefile.Load(strings.NewReader("rules:\n  - name: Slow\n    quantile: {histogram: igmon.dependency.duration, quantile: 95, window: 5m}\n"))
	fmt.Println(err)
	// Output:
	// 1 NoSuccessfulDeposits *alerting.Absence <nil>
	// alerting: rule "Slow" field quantile.quantile (line 3): must be between 0 and 1 exclusive, got 95
}
