package rulefile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/ruleerr"
)

// Load reads rules from YAML or JSON (JSON is read by the same YAML
// parser); see the package documentation for the format. Every error
// names the rule, the field and the line.
//
// The input may hold at most 16 MiB (counting what YAML aliases expand
// to) and 10,000 rules; WithMaxBytes and WithMaxRules change that.
// Exceeding a limit is an error wrapping alerting.ErrRuleLimit; Load reads
// one byte past the byte limit and no further, so an endless or huge
// stream is refused without being read (bytes.NewReader or
// strings.NewReader reads rules held in memory, such as an embedded
// file). The rules are validated together with alerting.ValidateRules, so
// annotation templates are bounded as there: each distinct text runs
// once, and all of them together do at most 5,000,000 steps.
func Load(r io.Reader, opts ...Option) ([]alerting.Rule, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	b, err := cfg.read(r)
	if err != nil {
		return nil, err
	}
	return cfg.parse(b)
}

// LoadFile parses the YAML or JSON rule file at path with the limits of
// Load; errors about the content start with the path. A regular file
// larger than the byte limit is refused without being read.
func LoadFile(path string, opts ...Option) ([]alerting.Rule, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rulefile: %w", err)
	}
	defer f.Close()
	var rules []alerting.Rule
	if fi, serr := f.Stat(); serr == nil && fi.Mode().IsRegular() && fi.Size() > cfg.maxBytes {
		err = cfg.tooLarge() // without reading it
	} else {
		var b []byte
		if b, err = cfg.read(f); err == nil {
			rules, err = cfg.parse(b)
		}
	}
	if err != nil {
		if errors.Is(err, alerting.ErrInvalidRule) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return rules, nil
}

// limitError is a limit of the loader; its text names the option that
// raises it.
type limitError struct{ msg string }

func (e *limitError) Error() string { return "rulefile: " + e.msg }

func (e *limitError) Is(target error) bool {
	return target == alerting.ErrRuleLimit || target == alerting.ErrInvalidRule
}

func (c *config) tooLarge() error {
	return &limitError{fmt.Sprintf("the rule file is larger than %d bytes (raise the limit with rulefile.WithMaxBytes)", c.maxBytes)}
}

func (c *config) read(r io.Reader) ([]byte, error) {
	n := c.maxBytes
	if n < math.MaxInt64 {
		n++ // one byte past the limit tells a longer input from one that fits
	}
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, fmt.Errorf("rulefile: read: %w", err)
	}
	if int64(len(b)) > c.maxBytes {
		return nil, c.tooLarge()
	}
	return b, nil
}

func (c *config) parse(data []byte) ([]alerting.Rule, error) {
	if int64(len(data)) > c.maxBytes {
		return nil, c.tooLarge()
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %v", alerting.ErrInvalidRule, err)
	}
	if root.Kind == 0 {
		return nil, nil
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &ruleerr.Error{Line: doc.Line, Msg: "the file must be a mapping with a rules list"}
	}
	if err := checkKeys(doc, "", "", fileKeys); err != nil {
		return nil, err
	}
	list := mapValue(doc, "rules")
	if list == nil {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &ruleerr.Error{Field: "rules", Line: list.Line, Msg: "must be a list"}
	}
	if n := len(list.Content); n > c.maxRules {
		return nil, &limitError{fmt.Sprintf("the file has %d rules, more than %d (raise the limit with rulefile.WithMaxRules)", n, c.maxRules)}
	}
	// Aliases are pointers in the parsed tree; decoding a rule copies what
	// they point to. The input with its aliases expanded must fit in the
	// same limit as the input, so "billion laughs" and one large anchor
	// aliased in every rule are refused before any rule is decoded.
	if expandedSize(list, c.maxBytes-int64(len(data))) > c.maxBytes-int64(len(data)) {
		return nil, &limitError{fmt.Sprintf("YAML aliases expand the rule file to more than %d bytes (raise the limit with rulefile.WithMaxBytes)", c.maxBytes)}
	}
	rules := make([]alerting.Rule, 0, len(list.Content))
	names := map[string]bool{}
	for i, rn := range list.Content {
		r, err := parseRule(rn, ruleName(rn, i))
		if err != nil {
			return nil, err
		}
		if r.Name != "" && names[r.Name] {
			return nil, &ruleerr.Error{Rule: r.Name, Field: "name", Line: lineOf(rn, "name"), Msg: "duplicate rule name"}
		}
		names[r.Name] = true
		rules = append(rules, r)
	}
	// All rules are validated in one call so that their annotation
	// templates share one budget and a text repeated by an anchor runs
	// once; the error is then placed on its rule's line.
	if err := alerting.ValidateRules(rules); err != nil {
		return nil, placed(err, rules, list.Content)
	}
	return rules, nil
}

// ruleName is how errors name the i-th rule: its name, or "#i".
func ruleName(rn *yaml.Node, i int) string {
	if v := mapValue(rn, "name"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
		return v.Value
	}
	return fmt.Sprintf("#%d", i)
}

// placed adds the rule-file line to a validation error of rules, whose
// nodes are nodes. Names are unique by then, and a rule without a name
// fails at its name before any later rule is validated, so the first rule
// with the error's name is the one it is about.
func placed(err error, rules []alerting.Rule, nodes []*yaml.Node) error {
	var ve *ruleerr.Error
	if !errors.As(err, &ve) {
		return err
	}
	fe := *ve // ValidateRules's error is not changed in place
	for i := range rules {
		if rules[i].Name != fe.Rule {
			continue
		}
		rn := nodes[i]
		fe.Rule = ruleName(rn, i)
		fe.Line = lineOf(rn, fe.Field)
		if fe.Field == "kind" {
			fe.Line = rn.Line
		}
		break
	}
	return &fe
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
