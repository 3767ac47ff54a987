package promrules

import (
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"go.yaml.in/yaml/v3"
)

func TestPrometheusExportTranslatesAnnotationsAndLabels(t *testing.T) {
	rules := []alerting.Rule{{
		Name: "DepositErrors", By: []string{"igmon.dependency.name"},
		Labels: map[string]string{"severity": "page", "igmon.dependency.kind": "payment"},
		Annotations: map[string]string{
			// Identifiers that merely contain "percent" or "duration", and
			// string literals, stay as written.
			"summary":     `{{ .Labels.percentile }} {{ "duration" }}: {{ percent .Value }} over {{ .Window }}`,
			"description": `{{ index .Labels "igmon.dependency.name" }} {{ $value | humanizePercentage }} {{ $labels.team }} {{ duration .Threshold }}`,
			"runbook_url": `https://runbooks.example/percent-duration`,
		},
		Condition: &alerting.Ratio{Numerator: mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="error"}`),
			Denominator: mustSel(t, `igmon.dependency.calls`), Window: 5 * time.Minute, Value: 0.05},
	}}
	out, err := Export(rules, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var f promFile
	if err := yaml.Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	r := f.Groups[0].Rules[0]
	want := map[string]string{
		"summary":     `{{ $labels.percentile }} {{ "duration" }}: {{ humanizePercentage $value }} over {{ "5m" }}`,
		"description": `{{ index $labels "igmon_dependency_name" }} {{ $value | humanizePercentage }} {{ $labels.team }} {{ humanizeDuration 0.05 }}`,
		"runbook_url": `https://runbooks.example/percent-duration`,
	}
	for k, v := range want {
		if r.Annotations[k] != v {
			t.Errorf("annotation %s:\n got %s\nwant %s", k, r.Annotations[k], v)
		}
	}
	if r.Labels["igmon_dependency_kind"] != "payment" || r.Labels["severity"] != "page" || len(r.Labels) != 2 {
		t.Errorf("labels %v, want names translated like attribute keys", r.Labels)
	}
	if !strings.Contains(r.Expr, "sum by (igmon_dependency_name)") {
		t.Errorf("expr %s", r.Expr)
	}
}

func TestExportedPerInstanceRuleKeepsInstance(t *testing.T) {
	rules := []alerting.Rule{{Name: "CPU", PerInstance: true, Condition: &alerting.Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}}}
	out, err := Export(rules, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "by (instance)") {
		t.Fatalf("exported rule does not group by instance:\n%s", out)
	}
}
