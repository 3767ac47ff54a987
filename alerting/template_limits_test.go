package alerting

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"text/template"
	"time"
)

func annotationRule(text string) Rule {
	return Rule{Name: "R", Condition: &Threshold{Metric: Selector{Metric: "x"}}, Labels: map[string]string{"team": "payments"},
		By: []string{"igmon.dependency.name"}, Annotations: map[string]string{"summary": text}}
}

// hostileTemplates are annotations that used to run for seconds or
// minutes, or to allocate gigabytes, when validation executed them.
var hostileTemplates = []struct{ name, text, want string }{
	// Passed 6 GB within 14 s.
	{"output-heavy loop", `{{ range 100000 }}{{ printf "%01000000d" 1 }}{{ end }}`, "too much work"},
	{"one 1 MB printf", `{{ printf "%01000000d" 1 }}`, "longer than 65536 bytes"},
	{"output past 64 KiB", `{{ range 10 }}{{ printf "%060000d" 1 }}{{ end }}`, "template output is longer than 65536 bytes"},
	{"text output past 64 KiB", `{{ range 3 }}` + strings.Repeat("x", 30000) + `{{ end }}`, "template output is longer than 65536 bytes"},
	// A pure loop writes nothing and allocates little: only counting stops it.
	{"loop of 10^8", `{{ range 100000000 }}{{ end }}`, "too much work"},
	{"loop over the window's nanoseconds", `{{ range .Window }}{{ end }}`, "too much work"},
	{"loop over a method's int64", `{{ range .Window.Microseconds }}{{ end }}`, "too much work"},
	{"loop over a variable", `{{ $n := 100000000 }}{{ range $i := $n }}{{ end }}`, "too much work"},
	{"nested loops", `{{ range 1000 }}{{ range 1000 }}{{ end }}{{ end }}`, "too much work"},
	{"loop with a large body", `{{ range 2000 }}` + strings.Repeat("{{ .Value }}", 100) + `{{ end }}`, "too much work"},
	{"doubling a string", `{{ $a := printf "%060000d" 1 }}{{ $a = printf "%s%s" $a $a }}`, "longer than 65536 bytes"},
	{"printf width from an argument", `{{ printf "%*d" 1000000 1 }}`, "longer than 65536 bytes"},
	{"printf with many wide verbs", `{{ printf "` + strings.Repeat("%0999999d", 6000) + `" 1 }}`, "could be longer than 65536 bytes"},
	{"printf reusing an argument", `{{ $a := printf "%060000d" 1 }}{{ printf "%[1]s%[1]s%[1]s" $a }}`, "longer than 65536 bytes"},
	{"print of many arguments", `{{ $a := printf "%060000d" 1 }}{{ print $a $a $a $a }}`, "longer than 65536 bytes"},
	{"html of a long string", `{{ $a := printf "%040000d" 1 }}{{ html $a $a }}`, "longer than 65536 bytes"},
	{"comparing long strings in a loop", `{{ $a := printf "%060000d" 1 }}{{ $b := printf "%060000d" 2 }}{{ range 5000 }}{{ if eq $a $b }}{{ end }}{{ end }}`, "too much work"},
	{"comparing piped long strings in a loop", `{{ $a := printf "%060000d" 1 }}{{ range 5000 }}{{ $a | eq "x" }}{{ end }}`, "too much work"},
	{"recursion", `{{ define "a" }}{{ template "a" }}{{ template "a" }}{{ end }}{{ template "a" }}`, "define and block are not supported"},
	{"template call", `{{ template "summary" }}`, "template and block are not supported"},
	{"block", `{{ block "b" . }}x{{ end }}`, "define and block are not supported"},
	{"redeclaring $", `{{ $ := 5 }}{{ range $ }}{{ end }}`, "declaring or assigning $"},
	{"assigning $", `{{ $ = 5 }}`, "declaring or assigning $"},
	{"calling the sandbox", `{{ range (_igmonRange $ 0 100000000) }}{{ end }}`, "reserved"},
	{"text over 64 KiB", strings.Repeat("x", 64<<10+1), "template is longer than 65536 bytes"},
}

// Each hostile template is refused, naming the annotation, within
// milliseconds (a second with the race detector) and a few megabytes.
func TestHostileTemplatesRefusedQuickly(t *testing.T) {
	for _, c := range hostileTemplates {
		t.Run(c.name, func(t *testing.T) {
			r := annotationRule(c.text)
			bounded(t, time.Second, 16<<20, func() {
				err := r.validate(newValidation())
				var fe *fieldError
				if !errors.As(err, &fe) || fe.Field != "annotations.summary" || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Validate = %v, want a fieldError for annotations.summary saying %q", err, c.want)
				}
				if c.want != "reserved" && strings.Contains(err.Error(), reservedPrefix) {
					t.Errorf("the error shows the sandbox: %v", err)
				}
			})
		})
	}
}

// Methods of the data cost as much as the data is long: what they return
// is charged, so calling one in a loop is cut short. The rule's 10,000
// labels are the sample data's.
func TestDataMethodsInLoopsRefusedQuickly(t *testing.T) {
	labels := map[string]string{}
	for i := range 10_000 {
		labels["label_"+strings.Repeat("x", i%40)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))] = "value"
	}
	for _, text := range []string{
		`{{ range 2000 }}{{ $x := $.Labels.String }}{{ end }}`,
		`{{ range 2000 }}{{ $x := $labels.Fingerprint }}{{ $y := len $.Labels.Clone }}{{ end }}`,
		`{{ range 2000 }}{{ printf "%.0s" $.Labels.String }}{{ end }}`,
		`{{ range 2000 }}{{ with $.Labels.Clone }}{{ end }}{{ end }}`,
		`{{ range 2000 }}{{ $x := printf "%.0s" $.Labels }}{{ end }}`,
		`{{ range 2000 }}{{ $x := print $labels | len }}{{ end }}`,
	} {
		r := annotationRule(text)
		r.Labels = labels
		bounded(t, 3*time.Second, 256<<20, func() {
			if err := r.validate(newValidation()); err == nil || !strings.Contains(err.Error(), "too much work") && !strings.Contains(err.Error(), "longer than 65536") {
				t.Errorf("%s: %v", text, err)
			}
		})
	}
}

// A template that is cheap on the sample data validation uses and costly
// on what an alert carries at run time is cut short when rendered, with
// its error in the annotation.
func TestRenderBoundsRunTimeData(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`{{ if eq .State "resolved" }}{{ range 100000000 }}{{ end }}{{ end }}`, "too much work"},
		{`{{ if eq .State "resolved" }}{{ range 10 }}{{ printf "%060000d" 1 }}{{ end }}{{ end }}`, "template output is longer than 65536 bytes"},
		{`{{ range .Labels }}{{ range 100 }}{{ . }}{{ end }}{{ end }}`, "too much work"},
	} {
		r := annotationRule(c.text)
		if err := r.validate(newValidation()); err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		tm, err := parseTemplate("R/summary", c.text)
		if err != nil {
			t.Fatal(err)
		}
		l := Labels{}
		for i := range 2000 {
			l[strings.Repeat("k", i%50)+string(rune('a'+i%26))+strings.Repeat("v", i/26)] = "x"
		}
		var b strings.Builder
		bounded(t, time.Second, 16<<20, func() {
			got := render(tm, &templateData{Rule: "R", State: "resolved", Labels: l}, &b)
			if !strings.HasPrefix(got, "template error: ") || !strings.Contains(got, c.want) {
				t.Errorf("%s: render = %.200q, want a template error saying %q", c.text, got, c.want)
			}
		})
	}
}

// legitTemplates use everything the sandbox rewrites; they render exactly
// as text/template renders them without it.
var legitTemplates = []string{
	`{{ range $k, $v := .Labels }}{{ $k }}={{ $v }},{{ end }}`,
	`{{ range .Labels }}{{ . }}{{ break }}{{ end }}{{ range 3 }}{{ . }}{{ end }}{{ range $i := 2 }}{{ $i }}{{ else }}none{{ end }}`,
	`{{ html .Labels }} {{ html "<a href='x'>" }} {{ js "<x>'\"" }} {{ urlquery "a b&c" }} {{ html }}`,
	`{{ print 1 "a" 2.5 .Window }} {{ println .Value .State }}`,
	`{{ printf "%-10s|%5.2f|%x|%q|%v|%%|%[2]d %[1]d" .Rule .Value .Rule .Rule .Labels 1 2 }}`,
	`{{ printf "%s" (printf "%d" 5) }} {{ "x" | printf "%s%s" "y" }} {{ printf "%!" }} {{ printf "%d" }} {{ printf "%d" 1 2 }}`,
	`{{ if eq .State "firing" }}F{{ else }}R{{ end }}{{ .State | eq "firing" }}{{ eq .Rule "a" "b" "R" }}`,
	`{{ index .Labels "team" }} {{ .Labels | len }} {{ slice .Rule 0 1 }} {{ with $labels.team }}{{ . }}{{ end }}`,
	`{{ if and (ne .Rule "") (lt .Value 2.0) (ge .Threshold 1.0) (gt 3 2) (le 1 1) }}ok{{ end }}`,
	`{{ humanize $value }} {{ percent .Value }} {{ duration .Value }} {{ humanizePercentage 0.5 }} {{ humanizeDuration 90.0 }}`,
	`{{ $x := 1 }}{{ range 2 }}{{ $x = . }}{{ end }}{{ $x }} {{ $labels.team }} {{ .Labels.missing }}`,
	`{{ .Labels.String }} {{ $.Labels.Fingerprint | len }} {{ .Window.Round 60000000000 }} {{ (.Labels).String }} {{ with .Labels.team }}{{ . }}{{ end }}`,
	`{{ range $k, $v := .Labels.Clone }}{{ $k }}{{ end }} {{ if .Labels.missing }}x{{ else }}y{{ end }} {{ .Window.Minutes | printf "%.1f" }}`,
}

func TestTemplatesRenderAsWithoutTheSandbox(t *testing.T) {
	data := func() *templateData {
		return &templateData{Rule: "R", Value: 0.123, Threshold: 1, Window: 5 * time.Minute,
			Labels: Labels{"team": "payments", "alertname": "R", "svc": "<psp>"}, State: "firing"}
	}
	for _, text := range legitTemplates {
		plain := template.Must(template.New("p").Funcs(templateFuncs).Option("missingkey=zero").Parse(templatePrelude + text))
		var want strings.Builder
		if err := plain.Execute(&want, data()); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		r := annotationRule(text)
		if err := r.validate(newValidation()); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		tm, err := parseTemplate("R/summary", text)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if got := render(tm, data(), &b); got != want.String() {
			t.Errorf("%s:\n got %q\nwant %q", text, got, want.String())
		}
	}
}

// Errors read as the template was written, with its positions.
func TestTemplateErrorsHideTheSandbox(t *testing.T) {
	for text, want := range map[string]string{
		`{{ eq .Labels }}`:             `template: R/summary:1:3: executing "R/summary" at <eq .Labels>: error calling eq: missing argument for comparison`,
		`{{ lt .Labels.team 1 }}`:      `template: R/summary:1:3: executing "R/summary" at <lt .Labels.team 1>: error calling lt: incompatible types for comparison`,
		`{{ range 100000000 }}{{end}}`: `template: R/summary:1:9: executing "R/summary" at <range>: template does too much work`,
		`{{ printf "%01000000d" 1 }}`:  `template: R/summary:1:3: executing "R/summary" at <printf "%01000000d" 1>: error calling printf: the result is longer than 65536 bytes`,
		"\n{{ html .Nope }}":           `template: R/summary:2:8: executing "R/summary" at <.Nope>: can't evaluate field Nope`,
	} {
		r := annotationRule(text)
		err := r.validate(newValidation())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v\nwant %s", text, err, want)
		}
	}
}

// FuzzTemplateBounds: whatever the text, validating and rendering it ends
// quickly, and a rendered annotation is at most 64 KiB.
func FuzzTemplateBounds(f *testing.F) {
	for _, c := range hostileTemplates {
		if len(c.text) < 1000 {
			f.Add(c.text)
		}
	}
	for _, s := range legitTemplates {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		start := time.Now()
		r := annotationRule(text)
		err := r.validate(newValidation())
		if err != nil {
			if !errors.Is(err, ErrInvalidRule) {
				t.Fatalf("error does not wrap ErrInvalidRule: %v", err)
			}
		} else {
			tm, err := parseTemplate("R/summary", text)
			if err != nil {
				t.Fatalf("validated but does not parse: %v", err)
			}
			var b strings.Builder
			for _, state := range []string{"firing", "resolved"} {
				got := render(tm, &templateData{Rule: "R", Value: 1e300, Window: 30 * 24 * time.Hour, State: state,
					Labels: Labels{"team": strings.Repeat("p", 1000)}}, &b)
				if !strings.HasPrefix(got, "template error: ") && len(got) > maxTemplateOutput {
					t.Fatalf("rendered %d bytes", len(got))
				}
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}

// The annotation templates of one ValidateRules call (one rule file)
// share a budget: many distinct templates that each do just under an
// execution's limit are refused together, naming the rule and annotation
// where the budget ran out.
func TestRuleSetTemplateBudget(t *testing.T) {
	old := maxRulesTemplateSteps
	maxRulesTemplateSteps = 250_000
	t.Cleanup(func() { maxRulesTemplateSteps = old })
	var rules []Rule
	for i := range 5 {
		rules = append(rules, Rule{Name: fmt.Sprintf("R%d", i), Condition: &Threshold{Metric: mustSel(t, "m"), Value: 1},
			Annotations: map[string]string{"summary": fmt.Sprintf("{{ range 90000 }}{{ end }}%d", i)}})
	}
	err := ValidateRules(rules)
	var fe *fieldError
	if !errors.As(err, &fe) || fe.Rule != "R2" || fe.Field != "annotations.summary" || !errors.Is(err, ErrRuleLimit) || !errors.Is(err, ErrInvalidRule) {
		t.Fatalf("error = %v, want ErrRuleLimit at R2's summary", err)
	}
	// Each rule alone is fine.
	if err := ValidateRules(rules[:1]); err != nil {
		t.Fatal(err)
	}
}
