package alerting

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// TemplateData is what annotation templates see.
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
		return time.Duration(v * float64(time.Second)).String()
	},
}

func parseTemplate(name, text string) (*template.Template, error) {
	return template.New(name).Funcs(templateFuncs).Option("missingkey=zero").Parse(text)
}

// render executes t; a failing template yields its error text rather than
// dropping the annotation, so a broken runbook template is visible in the
// notification instead of silently empty.
func render(t *template.Template, d *TemplateData, b *strings.Builder) string {
	b.Reset()
	if err := t.Execute(b, d); err != nil {
		return "template error: " + err.Error()
	}
	return b.String()
}
