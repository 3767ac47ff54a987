package alerting

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"text/template"
)

func TestTemplatesPrometheusCompatibleAndCheckedAtBuild(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "CPU", Labels: map[string]string{"team": "platform"},
		Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9},
		Annotations: map[string]string{
			"summary":     `{{ $labels.team }}: CPU {{ $value | humanizePercentage }}`,
			"description": `{{ .Labels.team }} {{ percent .Value }} of {{ .Threshold }} ({{ .State }})`,
			"broken":      `{{ if lt .Value 0.99 }}{{ .Labels.team.name }}{{ end }}`,
		}}})
	m.cpu.Record(context.Background(), 0.95)
	a := find(eval(t, e), "CPU")
	if a == nil {
		t.Fatal("no alert")
	}
	if got := a.Annotations["summary"]; got != "platform: CPU 95.00%" {
		t.Errorf("summary = %q", got)
	}
	if got := a.Annotations["description"]; got != "platform 95.00% of 0.9 (firing)" {
		t.Errorf("description = %q", got)
	}
	// A template that only fails on some values renders its error, with
	// the position text/template reports for the text as written (not
	// shifted by the $value/$labels prelude).
	plain := template.Must(template.New("CPU/broken").Funcs(templateFuncs).Option("missingkey=zero").
		Parse(`{{ if lt .Value 0.99 }}{{ .Labels.team.name }}{{ end }}`))
	want := plain.Execute(io.Discard, &templateData{Value: 0.95, Labels: a.Labels})
	if got := a.Annotations["broken"]; want == nil || got != "template error: "+want.Error() {
		t.Errorf("runtime template error = %q, want %q", got, want)
	}

	// Mistakes that only execution finds are refused when the rule is
	// built, naming the annotation.
	for _, tmpl := range []string{`{{ .Valu }}`, `{{ percent .Labels }}`, `{{ $labels.team.name }}`, `{{ $valeu }}`} {
		r := Rule{Name: "R", Condition: &Threshold{Metric: Selector{Metric: "x"}}, Labels: map[string]string{"team": "t"},
			Annotations: map[string]string{"summary": tmpl}}
		err := r.validate(newValidation())
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field != "annotations.summary" || strings.Contains(err.Error(), "$value := .Value") {
			t.Errorf("%s: %v", tmpl, err)
		}
	}
	r := Rule{Name: "R", Condition: &Threshold{Metric: Selector{Metric: "x"}},
		Annotations: map[string]string{"summary": "ok\n{{ .Valu }}"}}
	if err := r.validate(newValidation()); err == nil || !strings.Contains(err.Error(), "R/summary:2:3:") {
		t.Errorf("second-line error position: %v", err)
	}
}
