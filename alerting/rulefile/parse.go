package rulefile

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/duration"
	"github.com/jackcode/igmon/alerting/internal/ruleerr"
)

// ruleSpec is one rule as a file writes it; parseRule converts its
// strings to durations and selectors.
type ruleSpec struct {
	Name          string            `yaml:"name"`
	By            []string          `yaml:"by"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	PerInstance   bool              `yaml:"per_instance"`
	Flap          *struct {
		Threshold int    `yaml:"threshold"`
		Window    string `yaml:"window"`
	} `yaml:"flap"`
	Threshold *struct {
		Metric      string  `yaml:"metric"`
		Of          string  `yaml:"of"`
		Aggregation string  `yaml:"aggregation"`
		Op          string  `yaml:"op"`
		Value       float64 `yaml:"value"`
	} `yaml:"threshold"`
	Ratio *struct {
		Numerator   string  `yaml:"numerator"`
		Denominator string  `yaml:"denominator"`
		Window      string  `yaml:"window"`
		MinRequests float64 `yaml:"min_requests"`
		Op          string  `yaml:"op"`
		Value       float64 `yaml:"value"`
	} `yaml:"ratio"`
	Quantile *struct {
		Histogram string  `yaml:"histogram"`
		Quantile  float64 `yaml:"quantile"`
		Window    string  `yaml:"window"`
		MinCount  float64 `yaml:"min_count"`
		Op        string  `yaml:"op"`
		Value     float64 `yaml:"value"`
	} `yaml:"quantile"`
	CheckState *struct {
		Checks []string `yaml:"checks"`
		States []string `yaml:"states"`
		For    string   `yaml:"for"`
	} `yaml:"check_state"`
	Absence *struct {
		Success     string  `yaml:"success"`
		Requests    string  `yaml:"requests"`
		Window      string  `yaml:"window"`
		MinRequests float64 `yaml:"min_requests"`
	} `yaml:"absence"`
	SLO *struct {
		Objective        float64 `yaml:"objective"`
		Period           string  `yaml:"period"`
		Total            string  `yaml:"total"`
		Errors           string  `yaml:"errors"`
		LatencyThreshold float64 `yaml:"latency_threshold"`
		MinEvents        float64 `yaml:"min_events"`
		Windows          []struct {
			Severity string  `yaml:"severity"`
			Long     string  `yaml:"long"`
			Short    string  `yaml:"short"`
			Factor   float64 `yaml:"factor"`
		} `yaml:"windows"`
	} `yaml:"slo"`
}

var (
	fileKeys = []string{"rules"}
	ruleKeys = []string{"name", "by", "labels", "annotations", "for", "keep_firing_for", "per_instance", "flap",
		"threshold", "ratio", "quantile", "check_state", "absence", "slo"}
	kindKeys = map[string][]string{
		"flap":        {"threshold", "window"},
		"threshold":   {"metric", "of", "aggregation", "op", "value"},
		"ratio":       {"numerator", "denominator", "window", "min_requests", "op", "value"},
		"quantile":    {"histogram", "quantile", "window", "min_count", "op", "value"},
		"check_state": {"checks", "states", "for"},
		"absence":     {"success", "requests", "window", "min_requests"},
		"slo":         {"objective", "period", "total", "errors", "latency_threshold", "min_events", "windows"},
	}
	burnKeys  = []string{"severity", "long", "short", "factor"}
	kindOrder = []string{"threshold", "ratio", "quantile", "check_state", "absence", "slo"}
	lineRE    = regexp.MustCompile(`line (\d+)`)
)

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func checkKeys(n *yaml.Node, rule, prefix string, allowed []string) error {
	if n.Kind != yaml.MappingNode {
		return &ruleerr.Error{Rule: rule, Field: strings.TrimSuffix(prefix, "."), Line: n.Line, Msg: "must be a mapping"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			return &ruleerr.Error{Rule: rule, Field: prefix + k.Value, Line: k.Line,
				Msg: fmt.Sprintf("unknown field (want one of %s)", strings.Join(allowed, ", "))}
		}
	}
	return nil
}

// nodeAt follows a field path such as "slo.windows[1].factor".
func nodeAt(n *yaml.Node, path string) *yaml.Node {
	cur := n
	for _, part := range strings.Split(path, ".") {
		idx := -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			idx, _ = strconv.Atoi(part[i+1 : len(part)-1])
			part = part[:i]
		}
		next := mapValue(cur, part)
		if next == nil {
			return cur
		}
		cur = next
		if idx >= 0 {
			if cur.Kind != yaml.SequenceNode || idx >= len(cur.Content) {
				return cur
			}
			cur = cur.Content[idx]
		}
	}
	return cur
}

func lineOf(n *yaml.Node, path string) int {
	if x := nodeAt(n, path); x != nil {
		return x.Line
	}
	return n.Line
}

// parseRule decodes one rule; alerting.ValidateRules validates it later
// with the others.
func parseRule(rn *yaml.Node, name string) (alerting.Rule, error) {
	if err := checkKeys(rn, name, "", ruleKeys); err != nil {
		return alerting.Rule{}, err
	}
	kinds := 0
	for _, k := range kindOrder {
		if v := mapValue(rn, k); v != nil {
			kinds++
			allowed := kindKeys[k]
			if err := checkKeys(v, name, k+".", allowed); err != nil {
				return alerting.Rule{}, err
			}
			if k == "slo" {
				if ws := mapValue(v, "windows"); ws != nil && ws.Kind == yaml.SequenceNode {
					for i, w := range ws.Content {
						if err := checkKeys(w, name, fmt.Sprintf("slo.windows[%d].", i), burnKeys); err != nil {
							return alerting.Rule{}, err
						}
					}
				}
			}
		}
	}
	if f := mapValue(rn, "flap"); f != nil {
		if err := checkKeys(f, name, "flap.", kindKeys["flap"]); err != nil {
			return alerting.Rule{}, err
		}
	}
	if kinds != 1 {
		return alerting.Rule{}, &ruleerr.Error{Rule: name, Field: "kind", Line: rn.Line,
			Msg: fmt.Sprintf("exactly one of %s is required, found %d", strings.Join(kindOrder, ", "), kinds)}
	}
	var s ruleSpec
	if err := rn.Decode(&s); err != nil {
		line := rn.Line
		if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := err.Error()
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		return alerting.Rule{}, &ruleerr.Error{Rule: name, Line: line, Msg: msg}
	}
	c := &conv{node: rn, rule: name}
	r := alerting.Rule{Name: s.Name, By: s.By, Labels: s.Labels, Annotations: s.Annotations, PerInstance: s.PerInstance,
		For: c.dur("for", s.For), KeepFiringFor: c.dur("keep_firing_for", s.KeepFiringFor)}
	if s.Flap != nil {
		r.Flap = alerting.FlapDamping{Threshold: s.Flap.Threshold, Window: c.dur("flap.window", s.Flap.Window)}
	}
	switch {
	case s.Threshold != nil:
		t := s.Threshold
		cond := &alerting.Threshold{Metric: c.sel("threshold.metric", t.Metric), Aggregation: alerting.Aggregation(t.Aggregation), Op: alerting.Op(t.Op), Value: t.Value}
		if t.Of != "" {
			of := c.sel("threshold.of", t.Of)
			cond.Of = &of
		}
		r.Condition = cond
	case s.Ratio != nil:
		x := s.Ratio
		r.Condition = &alerting.Ratio{Numerator: c.sel("ratio.numerator", x.Numerator), Denominator: c.sel("ratio.denominator", x.Denominator),
			Window: c.dur("ratio.window", x.Window), MinRequests: x.MinRequests, Op: alerting.Op(x.Op), Value: x.Value}
	case s.Quantile != nil:
		x := s.Quantile
		r.Condition = &alerting.Quantile{Histogram: c.sel("quantile.histogram", x.Histogram), Quantile: x.Quantile,
			Window: c.dur("quantile.window", x.Window), MinCount: x.MinCount, Op: alerting.Op(x.Op), Value: x.Value}
	case s.CheckState != nil:
		x := s.CheckState
		r.Condition = &alerting.CheckState{Checks: x.Checks, States: x.States, For: c.dur("check_state.for", x.For)}
	case s.Absence != nil:
		x := s.Absence
		r.Condition = &alerting.Absence{Success: c.sel("absence.success", x.Success), Requests: c.sel("absence.requests", x.Requests),
			Window: c.dur("absence.window", x.Window), MinRequests: x.MinRequests}
	case s.SLO != nil:
		x := s.SLO
		cond := &alerting.SLO{Objective: x.Objective, Period: c.dur("slo.period", x.Period), Total: c.sel("slo.total", x.Total),
			LatencyThreshold: x.LatencyThreshold, MinEvents: x.MinEvents}
		if x.Errors != "" {
			e := c.sel("slo.errors", x.Errors)
			cond.Errors = &e
		}
		for i, w := range x.Windows {
			p := fmt.Sprintf("slo.windows[%d].", i)
			cond.Windows = append(cond.Windows, alerting.BurnWindow{Severity: w.Severity, Factor: w.Factor,
				Long: c.dur(p+"long", w.Long), Short: c.dur(p+"short", w.Short)})
		}
		r.Condition = cond
	}
	if c.err != nil {
		return alerting.Rule{}, c.err
	}
	return r, nil
}

// conv converts strings to selectors and durations, keeping the first
// error with its field and line.
type conv struct {
	node *yaml.Node
	rule string
	err  error
}

func (c *conv) fail(field string, err error) {
	if c.err == nil {
		c.err = &ruleerr.Error{Rule: c.rule, Field: field, Line: lineOf(c.node, field), Msg: err.Error()}
	}
}

func (c *conv) sel(field, s string) alerting.Selector {
	if s == "" {
		return alerting.Selector{}
	}
	sel, err := alerting.ParseSelector(s)
	if err != nil {
		c.fail(field, err)
	}
	return sel
}

func (c *conv) dur(field, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := duration.Parse(s)
	if err != nil {
		c.fail(field, err)
	}
	return d
}
