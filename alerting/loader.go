package alerting

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting/internal/duration"
	"go.yaml.in/yaml/v3"
)

// Limits of the rule loader: far above a real rule set (a large one is a
// few hundred rules and a few hundred kilobytes), far below what hurts a
// process. WithMaxRuleBytes and WithMaxRules raise or lower them.
const (
	// defaultMaxRuleBytes is the largest rule file LoadRules and
	// LoadRulesFile read: 16 MiB, counted after YAML aliases are
	// expanded. Parsing a file of this size takes about 2 s and 0.5 GB.
	defaultMaxRuleBytes = 16 << 20
	// defaultMaxRules is the most rules one file may hold.
	defaultMaxRules = 10_000
)

// ErrRuleLimit is wrapped by the error of a rule set that exceeds a limit:
// the file size or rule count (defaultMaxRuleBytes, defaultMaxRules, or
// what WithMaxRuleBytes and WithMaxRules set), what its YAML aliases
// expand to, or the work of all its annotation templates together. Such
// errors also wrap ErrInvalidRule.
var ErrRuleLimit = errors.New("alerting: rule limit exceeded")

// limitError is a limit of the loader; its text names the option that
// raises it.
type limitError struct{ msg string }

func (e *limitError) Error() string { return "alerting: rules: " + e.msg }

func (e *limitError) Is(target error) bool { return target == ErrRuleLimit || target == ErrInvalidRule }

// LoadOption configures LoadRules and LoadRulesFile.
type LoadOption interface{ applyLoad(*loadConfig) }

type loadOptionFunc func(*loadConfig)

func (f loadOptionFunc) applyLoad(c *loadConfig) { f(c) }

type loadConfig struct {
	maxBytes int64
	maxRules int
}

// WithMaxRuleBytes sets the largest rule file, in bytes after YAML aliases
// are expanded (default defaultMaxRuleBytes, 16 MiB). A larger input is an
// error wrapping ErrRuleLimit; it is never cut short.
func WithMaxRuleBytes(n int64) LoadOption {
	return loadOptionFunc(func(c *loadConfig) { c.maxBytes = n })
}

// WithMaxRules sets the most rules a file may hold (default
// defaultMaxRules, 10,000). More is an error wrapping ErrRuleLimit.
func WithMaxRules(n int) LoadOption {
	return loadOptionFunc(func(c *loadConfig) { c.maxRules = n })
}

func newLoadConfig(opts []LoadOption) (loadConfig, error) {
	c := loadConfig{maxBytes: defaultMaxRuleBytes, maxRules: defaultMaxRules}
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: nil LoadOption", ErrInvalidOption)
		}
		o.applyLoad(&c)
	}
	switch {
	case c.maxBytes <= 0:
		return c, fmt.Errorf("%w: WithMaxRuleBytes: must be positive, got %d", ErrInvalidOption, c.maxBytes)
	case c.maxRules <= 0:
		return c, fmt.Errorf("%w: WithMaxRules: must be positive, got %d", ErrInvalidOption, c.maxRules)
	}
	return c, nil
}

func (c *loadConfig) tooLarge() error {
	return &limitError{fmt.Sprintf("the rule file is larger than %d bytes (raise the limit with alerting.WithMaxRuleBytes)", c.maxBytes)}
}

func (cfg *loadConfig) parse(data []byte) ([]Rule, error) {
	if int64(len(data)) > cfg.maxBytes {
		return nil, cfg.tooLarge()
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRule, err)
	}
	if root.Kind == 0 {
		return nil, nil
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &fieldError{Rule: "", Line: doc.Line, Msg: "the file must be a mapping with a rules list"}
	}
	if err := checkKeys(doc, "", "", fileKeys); err != nil {
		return nil, err
	}
	list := mapValue(doc, "rules")
	if list == nil {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &fieldError{Field: "rules", Line: list.Line, Msg: "must be a list"}
	}
	if n := len(list.Content); n > cfg.maxRules {
		return nil, &limitError{fmt.Sprintf("the file has %d rules, more than %d (raise the limit with alerting.WithMaxRules)", n, cfg.maxRules)}
	}
	// Aliases are pointers in the parsed tree; decoding a rule copies what
	// they point to. The input with its aliases expanded must fit in the
	// same limit as the input, so "billion laughs" and one large anchor
	// aliased in every rule are refused before any rule is decoded.
	if expandedSize(list, cfg.maxBytes-int64(len(data))) > cfg.maxBytes-int64(len(data)) {
		return nil, &limitError{fmt.Sprintf("YAML aliases expand the rule file to more than %d bytes (raise the limit with alerting.WithMaxRuleBytes)", cfg.maxBytes)}
	}
	var rules []Rule
	names := map[string]bool{}
	vc := newValidation()
	for i, rn := range list.Content {
		name := fmt.Sprintf("#%d", i)
		if v := mapValue(rn, "name"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
			name = v.Value
		}
		r, err := parseRule(rn, name, vc)
		if err != nil {
			return nil, err
		}
		if names[r.Name] {
			return nil, &fieldError{Rule: r.Name, Field: "name", Line: lineOf(rn, "name"), Msg: "duplicate rule name"}
		}
		names[r.Name] = true
		rules = append(rules, r)
	}
	return rules, nil
}

// expandedSize returns what the aliases under n add when expanded, in
// bytes of scalar text plus one per node, or a number above limit once it
// passes limit. Sizes of anchored nodes are memoized, so the walk visits
// each node of the parsed tree once however often it is aliased.
func expandedSize(n *yaml.Node, limit int64) int64 {
	memo := map[*yaml.Node]int64{}
	var size func(n *yaml.Node) int64 // of n with its aliases expanded
	size = func(n *yaml.Node) int64 {
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 1
			}
			n = n.Alias
		}
		if s, ok := memo[n]; ok {
			return s
		}
		memo[n] = limit + 1 // an anchor that contains itself
		s := 1 + int64(len(n.Value))
		for _, c := range n.Content {
			if s += size(c); s > limit {
				break
			}
		}
		memo[n] = s
		return s
	}
	var extra func(n *yaml.Node) int64 // the aliases under n
	extra = func(n *yaml.Node) int64 {
		if n.Kind == yaml.AliasNode {
			return size(n)
		}
		var s int64
		for _, c := range n.Content {
			if s += extra(c); s > limit {
				break
			}
		}
		return s
	}
	return extra(n)
}

// LoadRules reads rules from YAML or JSON (JSON is read by the same YAML
// parser). Every error names the rule, the field and the line:
//
//	rules:
//	  - name: DependencyErrorRate
//	    by: [igmon.dependency.name]
//	    labels: {severity: page, team: payments}
//	    annotations: {summary: "{{ percent .Value }} errors"}
//	    for: 2m
//	    ratio:
//	      numerator: 'igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout"}'
//	      denominator: igmon.dependency.calls
//	      window: 5m
//	      min_requests: 100
//	      value: 0.05
//
// Durations accept Go syntax plus d (days) and w (weeks): 3d, 1w, 1d12h.
//
// The input may hold at most defaultMaxRuleBytes bytes (counting what YAML
// aliases expand to) and defaultMaxRules rules; WithMaxRuleBytes and
// WithMaxRules change that. Exceeding a limit is an error wrapping
// ErrRuleLimit; LoadRules reads one byte past the byte limit and no
// further, so an endless or huge stream is refused without being read
// (bytes.NewReader or strings.NewReader reads rules held in memory, such
// as an embedded file). Annotation templates are bounded as Rule.Validate's are,
// run once per distinct text, and together do at most 5,000,000 steps.
func LoadRules(r io.Reader, opts ...LoadOption) ([]Rule, error) {
	cfg, err := newLoadConfig(opts)
	if err != nil {
		return nil, err
	}
	b, err := cfg.read(r)
	if err != nil {
		return nil, err
	}
	return cfg.parse(b)
}

func (cfg *loadConfig) read(r io.Reader) ([]byte, error) {
	n := cfg.maxBytes
	if n < math.MaxInt64 {
		n++ // one byte past the limit tells a longer input from one that fits
	}
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, fmt.Errorf("alerting: read rules: %w", err)
	}
	if int64(len(b)) > cfg.maxBytes {
		return nil, cfg.tooLarge()
	}
	return b, nil
}

// LoadRulesFile parses the YAML or JSON rule file at path with the limits
// of LoadRules; errors about the content start with the path.
func LoadRulesFile(path string, opts ...LoadOption) ([]Rule, error) {
	cfg, err := newLoadConfig(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("alerting: read rules: %w", err)
	}
	defer f.Close()
	var rules []Rule
	if fi, serr := f.Stat(); serr == nil && fi.Mode().IsRegular() && fi.Size() > cfg.maxBytes {
		err = cfg.tooLarge() // without reading it
	} else {
		var b []byte
		if b, err = cfg.read(f); err == nil {
			rules, err = cfg.parse(b)
		}
	}
	if err != nil {
		if errors.Is(err, ErrInvalidRule) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return rules, nil
}

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
		return &fieldError{Rule: rule, Field: strings.TrimSuffix(prefix, "."), Line: n.Line, Msg: "must be a mapping"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			return &fieldError{Rule: rule, Field: prefix + k.Value, Line: k.Line,
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

func parseRule(rn *yaml.Node, name string, v *validation) (Rule, error) {
	if err := checkKeys(rn, name, "", ruleKeys); err != nil {
		return Rule{}, err
	}
	kinds := 0
	for _, k := range kindOrder {
		if v := mapValue(rn, k); v != nil {
			kinds++
			allowed := kindKeys[k]
			if err := checkKeys(v, name, k+".", allowed); err != nil {
				return Rule{}, err
			}
			if k == "slo" {
				if ws := mapValue(v, "windows"); ws != nil && ws.Kind == yaml.SequenceNode {
					for i, w := range ws.Content {
						if err := checkKeys(w, name, fmt.Sprintf("slo.windows[%d].", i), burnKeys); err != nil {
							return Rule{}, err
						}
					}
				}
			}
		}
	}
	if f := mapValue(rn, "flap"); f != nil {
		if err := checkKeys(f, name, "flap.", kindKeys["flap"]); err != nil {
			return Rule{}, err
		}
	}
	if kinds != 1 {
		return Rule{}, &fieldError{Rule: name, Field: "kind", Line: rn.Line,
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
		return Rule{}, &fieldError{Rule: name, Line: line, Msg: msg}
	}
	c := &conv{node: rn, rule: name}
	r := Rule{Name: s.Name, By: s.By, Labels: s.Labels, Annotations: s.Annotations, PerInstance: s.PerInstance,
		For: c.dur("for", s.For), KeepFiringFor: c.dur("keep_firing_for", s.KeepFiringFor)}
	if s.Flap != nil {
		r.Flap = FlapDamping{Threshold: s.Flap.Threshold, Window: c.dur("flap.window", s.Flap.Window)}
	}
	switch {
	case s.Threshold != nil:
		t := s.Threshold
		cond := &Threshold{Metric: c.sel("threshold.metric", t.Metric), Aggregation: Aggregation(t.Aggregation), Op: Op(t.Op), Value: t.Value}
		if t.Of != "" {
			of := c.sel("threshold.of", t.Of)
			cond.Of = &of
		}
		r.Condition = cond
	case s.Ratio != nil:
		x := s.Ratio
		r.Condition = &Ratio{Numerator: c.sel("ratio.numerator", x.Numerator), Denominator: c.sel("ratio.denominator", x.Denominator),
			Window: c.dur("ratio.window", x.Window), MinRequests: x.MinRequests, Op: Op(x.Op), Value: x.Value}
	case s.Quantile != nil:
		x := s.Quantile
		r.Condition = &Quantile{Histogram: c.sel("quantile.histogram", x.Histogram), Quantile: x.Quantile,
			Window: c.dur("quantile.window", x.Window), MinCount: x.MinCount, Op: Op(x.Op), Value: x.Value}
	case s.CheckState != nil:
		x := s.CheckState
		r.Condition = &CheckState{Checks: x.Checks, States: x.States, For: c.dur("check_state.for", x.For)}
	case s.Absence != nil:
		x := s.Absence
		r.Condition = &Absence{Success: c.sel("absence.success", x.Success), Requests: c.sel("absence.requests", x.Requests),
			Window: c.dur("absence.window", x.Window), MinRequests: x.MinRequests}
	case s.SLO != nil:
		x := s.SLO
		cond := &SLO{Objective: x.Objective, Period: c.dur("slo.period", x.Period), Total: c.sel("slo.total", x.Total),
			LatencyThreshold: x.LatencyThreshold, MinEvents: x.MinEvents}
		if x.Errors != "" {
			e := c.sel("slo.errors", x.Errors)
			cond.Errors = &e
		}
		for i, w := range x.Windows {
			p := fmt.Sprintf("slo.windows[%d].", i)
			cond.Windows = append(cond.Windows, BurnWindow{Severity: w.Severity, Factor: w.Factor,
				Long: c.dur(p+"long", w.Long), Short: c.dur(p+"short", w.Short)})
		}
		r.Condition = cond
	}
	if c.err != nil {
		return Rule{}, c.err
	}
	if err := r.validate(v); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			fe.Rule = name
			fe.Line = lineOf(rn, fe.Field)
			if fe.Field == "kind" {
				fe.Line = rn.Line
			}
		}
		return Rule{}, err
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
		c.err = &fieldError{Rule: c.rule, Field: field, Line: lineOf(c.node, field), Msg: err.Error()}
	}
}

func (c *conv) sel(field, s string) Selector {
	if s == "" {
		return Selector{}
	}
	sel, err := ParseSelector(s)
	if err != nil {
		c.fail(field, err)
	}
	return sel
}

func (c *conv) dur(field, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := parseDuration(s)
	if err != nil {
		c.fail(field, err)
	}
	return d
}

// parseDuration parses Go durations extended with d (24h) and w (7d).
func parseDuration(s string) (time.Duration, error) { return duration.Parse(s) }
