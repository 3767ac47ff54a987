package rulefile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/ruleerr"
)

func TestLoadFileReadsEveryKind(t *testing.T) {
	rules, err := LoadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, r := range rules {
		kinds[r.Name] = fmt.Sprintf("%T", r.Condition)
	}
	want := map[string]string{"HostCPUHigh": "*alerting.Threshold", "DBPoolSaturated": "*alerting.Threshold",
		"DependencyErrorRate": "*alerting.Ratio", "StripeDepositSlow": "*alerting.Quantile", "CheckFailing": "*alerting.CheckState",
		"NoSuccessfulDeposits": "*alerting.Absence", "DepositAvailability": "*alerting.SLO", "APILatencySLO": "*alerting.SLO"}
	if len(kinds) != len(want) {
		t.Fatalf("kinds %v", kinds)
	}
	for n, k := range want {
		if kinds[n] != k {
			t.Errorf("%s: kind %q, want %q", n, kinds[n], k)
		}
	}
	r := rules[2]
	c := r.Condition.(*alerting.Ratio)
	if r.For != 2*time.Minute || r.KeepFiringFor != 5*time.Minute || r.Flap != (alerting.FlapDamping{Threshold: 4, Window: 30 * time.Minute}) ||
		c.Window != 5*time.Minute || c.MinRequests != 100 || c.Numerator.Matchers[0].Type != alerting.MatchRegexp {
		t.Errorf("ratio rule %+v %+v", r, c)
	}
	slo := rules[6].Condition.(*alerting.SLO)
	if slo.Period != 28*24*time.Hour || len(slo.Windows) != 3 || slo.Windows[2].Long != 72*time.Hour {
		t.Errorf("slo %+v", slo)
	}
}

func TestLoadReadsJSON(t *testing.T) {
	js := `{"rules": [{"name": "CPU", "labels": {"severity": "page"}, "for": "1m",
	  "threshold": {"metric": "system.cpu.utilization", "op": ">=", "value": 0.95}}]}`
	rules, err := Load(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || rules[0].Condition.(*alerting.Threshold).Op != alerting.AboveOrEqual || rules[0].For != time.Minute {
		t.Fatalf("%+v", rules)
	}
}

func TestErrorsNameRuleFieldAndLine(t *testing.T) {
	cases := []struct {
		name, src string
		rule      string
		field     string
		line      int
	}{
		{"unknown field", `rules:
  - name: A
    threshold:
      metric: x
      valeu: 3
`, "A", "threshold.valeu", 5},
		{"bad duration", `rules:
  - name: B
    ratio:
      numerator: a
      denominator: b
      window: 5 minutes
`, "B", "ratio.window", 6},
		{"missing window", `rules:
  - name: C
    ratio:
      numerator: a
      denominator: b
`, "C", "ratio.window", 4},
		{"bad selector", `rules:
  - name: D
    threshold:
      metric: 'cpu{mode=idle}'
`, "D", "threshold.metric", 4},
		{"bad quantile", `rules:

  - name: E
    quantile:
      histogram: h
      window: 5m
      quantile: 95
`, "E", "quantile.quantile", 7},
		{"two kinds", `rules:
  - name: F
    threshold: {metric: a}
    ratio: {numerator: a, denominator: b, window: 1m}
`, "F", "kind", 2},
		{"wrong type", `rules:
  - name: G
    threshold:
      metric: a
      value: lots
`, "G", "", 5},
		{"duplicate", `rules:
  - name: H
    threshold: {metric: a}
  - name: H
    threshold: {metric: a}
`, "H", "name", 4},
		{"bad template", `rules:
  - name: I
    annotations:
      summary: "{{ .Value"
    threshold: {metric: a}
`, "I", "annotations.summary", 4},
		{"missing name", `rules:
  - threshold: {metric: a}
`, "#0", "name", 2},
	}
	for _, c := range cases {
		_, err := Load(strings.NewReader(c.src))
		var fe *ruleerr.Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: err %v is not a rule field error", c.name, err)
			continue
		}
		if fe.Rule != c.rule || fe.Field != c.field || fe.Line != c.line {
			t.Errorf("%s: got rule=%q field=%q line=%d (%v), want %q %q %d", c.name, fe.Rule, fe.Field, fe.Line, err, c.rule, c.field, c.line)
		}
		if !errors.Is(err, alerting.ErrInvalidRule) || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func FuzzLoad(f *testing.F) {
	seed, _ := os.ReadFile("testdata/rules.yaml")
	f.Add(seed)
	f.Add([]byte(`{"rules":[{"name":"x","threshold":{"metric":"a{b=\"c\"}","value":1}}]}`))
	f.Add([]byte("rules:\n  - name: a\n    slo: {objective: 0.9, total: t, errors: e, windows: [{severity: p, long: 1h, short: 5m, factor: 2}]}\n"))
	f.Add([]byte("rules: [1, 2]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := Load(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, alerting.ErrInvalidRule) {
				t.Fatalf("error does not wrap alerting.ErrInvalidRule: %v", err)
			}
			return
		}
		// Whatever parses must validate and compile.
		if err := alerting.ValidateRules(rules); err != nil {
			t.Fatalf("parsed rules do not validate: %v", err)
		}
	})
}
