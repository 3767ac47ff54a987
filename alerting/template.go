package alerting

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// TemplateData is what annotation templates see. As in Prometheus,
// $value and $labels are also defined, so annotations written for a
// Prometheus rule ({{ $value }}, {{ $labels.team }}) work unchanged.
type TemplateData struct {
	Rule      string
	Value     float64
	Threshold float64
	Window    time.Duration
	Labels    Labels
	State     string
}

var templateFuncs = template.FuncMap{
	// humanize renders a value with three significant digits.
	"humanize": func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) },
	// percent renders a ratio as a percentage: 0.0512 → "5.12%".
	"percent": func(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" },
	// duration renders seconds as a Go duration: 0.8 → "800ms".
	"duration": func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
		// As Prometheus writes it: "850ms", "1.511s", "2m5s".
		if math.Abs(v) < 1 {
			return strconv.FormatFloat(v*1000, 'g', 4, 64) + "ms"
		}
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	},
	// humanizePercentage and humanizeDuration are Prometheus' names for
	// percent and duration, so templates can be copied from Prometheus
	// rules (and the Prometheus export writes them back).
	"humanizePercentage": func(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" },
	"humanizeDuration": func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
		// As Prometheus writes it: "850ms", "1.511s", "2m5s".
		if math.Abs(v) < 1 {
			return strconv.FormatFloat(v*1000, 'g', 4, 64) + "ms"
		}
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	},
}

// templatePrelude defines Prometheus' template variables. It is one line
// with no text output, so error positions on later lines stay exact.
const templatePrelude = `{{- $value := .Value -}}{{- $labels := .Labels -}}`

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Funcs(templateFuncs).Option("missingkey=zero").Parse(templatePrelude + text)
	if err != nil {
		return nil, templateError(err)
	}
	return t, nil
}

var firstLinePos = regexp.MustCompile(`^(template: .*?:1:)(\d+):`)

// templateError removes the prelude from an error's text and column, so
// that the position points into the annotation as the user wrote it.
func templateError(err error) error {
	msg := strings.ReplaceAll(err.Error(), templatePrelude, "")
	msg = firstLinePos.ReplaceAllStringFunc(msg, func(m string) string {
		sub := firstLinePos.FindStringSubmatch(m)
		col, _ := strconv.Atoi(sub[2])
		return sub[1] + strconv.Itoa(max(1, col-len(templatePrelude))) + ":"
	})
	return errors.New(msg)
}

// checkTemplate parses text and executes it once on sample data, so that
// mistakes only execution finds ({{ .Valu }}, {{ .Labels.team.name }},
// {{ percent .Labels }}) fail when the rule is built, naming the
// annotation, instead of at 3 a.m. inside a page.
func checkTemplate(name, text string, r *Rule) error {
	t, err := parseTemplate(name, text)
	if err != nil {
		return err
	}
	l := Labels{LabelAlertName: r.Name}
	for k, v := range r.Labels {
		l[k] = v
	}
	for _, k := range r.By {
		l[k] = "x"
	}
	var b strings.Builder
	if err := t.Execute(&b, &TemplateData{Rule: r.Name, Value: 1, Threshold: 1, Window: time.Minute, Labels: l, State: "firing"}); err != nil {
		return templateError(err)
	}
	return nil
}

// render executes t; a failing template yields its error text rather than
// dropping the annotation, so a broken runbook template is visible in the
// notification instead of silently empty.
func render(t *template.Template, d *TemplateData, b *strings.Builder) string {
	b.Reset()
	if err := t.Execute(b, d); err != nil {
		return "template error: " + templateError(err).Error()
	}
	return b.String()
}
