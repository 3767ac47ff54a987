package alerting

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MatchType is the comparison a Matcher makes.
type MatchType int

// Match types, written =, !=, =~ and !~ as in PromQL.
const (
	MatchEqual MatchType = iota
	MatchNotEqual
	MatchRegexp
	MatchNotRegexp
)

func (t MatchType) String() string {
	switch t {
	case MatchNotEqual:
		return "!="
	case MatchRegexp:
		return "=~"
	case MatchNotRegexp:
		return "!~"
	}
	return "="
}

// errSyntax is wrapped by every selector and matcher parse error.
var errSyntax = errors.New("alerting: syntax error")

// Matcher compares one label or attribute with a value. A missing
// attribute matches as the empty string, so `error.type!=""` selects
// series that carry an error.
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp
}

// NewMatcher returns a matcher; regular expressions are anchored at both
// ends, as in PromQL.
func NewMatcher(t MatchType, name, value string) (*Matcher, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: matcher without a name", errSyntax)
	}
	m := &Matcher{Name: name, Type: t, Value: value}
	if t == MatchRegexp || t == MatchNotRegexp {
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("%w: matcher %s: %v", errSyntax, name, err)
		}
		m.re = re
	}
	return m, nil
}

// matches reports whether v satisfies the matcher.
func (m *Matcher) matches(v string) bool {
	switch m.Type {
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re.MatchString(v)
	case MatchNotRegexp:
		return !m.re.MatchString(v)
	}
	return v == m.Value
}

func (m *Matcher) String() string {
	return labelName(m.Name) + m.Type.String() + strconv.Quote(m.Value)
}

// labelName renders a label or attribute name as the parsers read it:
// bare when it is an identifier (dots allowed, as in OTel keys), quoted
// otherwise ("team name"), as Alertmanager's UTF-8 matchers write it.
func labelName(n string) string {
	for i := 0; i < len(n); i++ {
		if !isIdentByte(n[i], i == 0) {
			return strconv.Quote(n)
		}
	}
	if n == "" {
		return `""`
	}
	return n
}

// Matchers is a conjunction of matchers.
type Matchers []*Matcher

// Matches reports whether every matcher matches l. A label l does not
// have matches as the empty string, as in Alertmanager: {team=""} matches
// labels without a team.
func (ms Matchers) Matches(l map[string]string) bool {
	for _, m := range ms {
		if !m.matches(l[m.Name]) {
			return false
		}
	}
	return true
}

func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Selector picks series by metric name and attribute matchers.
type Selector struct {
	Metric   string
	Matchers Matchers
}

func (s Selector) String() string {
	if len(s.Matchers) == 0 {
		return s.Metric
	}
	return s.Metric + s.Matchers.String()
}

// ParseSelector parses `metric.name{key="v", other=~"a|b"}`. Metric and
// attribute names may contain dots, as OTel names do.
func ParseSelector(in string) (Selector, error) {
	p := &parser{in: in}
	p.space()
	name := p.ident()
	if name == "" {
		return Selector{}, p.errorf("expected a metric name")
	}
	p.space()
	var ms Matchers
	if p.peek() == '{' {
		var err error
		if ms, err = p.matcherList(); err != nil {
			return Selector{}, err
		}
	}
	p.space()
	if p.pos != len(p.in) {
		return Selector{}, p.errorf("unexpected %q", p.in[p.pos:])
	}
	return Selector{Metric: name, Matchers: ms}, nil
}

// ParseMatchers parses `{a="1", b!~"x.*"}`; the braces are optional. It
// accepts what Alertmanager's matchers accept (amtool, silences,
// inhibit_rules): unquoted values such as `alertname=DatabaseDown` or
// `team=~payments|kyc` (running to the next comma or brace), and
// double-quoted names such as `"igmon.check.name"="postgres"`. Regular
// expressions are anchored at both ends.
func ParseMatchers(in string) (Matchers, error) {
	p := &parser{in: in, bare: true}
	p.space()
	if p.peek() != '{' {
		p.in = "{" + in + "}"
	}
	ms, err := p.matcherList()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.in) {
		return nil, p.errorf("unexpected %q", p.in[p.pos:])
	}
	return ms, nil
}

type parser struct {
	in   string
	pos  int
	bare bool // unquoted values allowed (Alertmanager matchers, not PromQL selectors)
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) peek() byte {
	if p.pos < len(p.in) {
		return p.in[p.pos]
	}
	return 0
}

func (p *parser) space() {
	for p.pos < len(p.in) && strings.IndexByte(" \t\r\n", p.in[p.pos]) >= 0 {
		p.pos++
	}
}

func isIdentByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case c >= '0' && c <= '9', c == '.', c == ':', c == '-', c == '/':
		return !first
	}
	return false
}

func (p *parser) ident() string {
	start := p.pos
	for p.pos < len(p.in) && isIdentByte(p.in[p.pos], p.pos == start) {
		p.pos++
	}
	return p.in[start:p.pos]
}

func (p *parser) matcherList() (Matchers, error) {
	p.pos++ // '{'
	var ms Matchers
	for {
		p.space()
		if p.peek() == '}' {
			p.pos++
			return ms, nil
		}
		var name string
		if p.peek() == '"' {
			n, err := p.quoted()
			if err != nil {
				return nil, err
			}
			name = n
		} else {
			name = p.ident()
		}
		if name == "" {
			return nil, p.errorf("expected an attribute name")
		}
		p.space()
		var t MatchType
		switch {
		case strings.HasPrefix(p.in[p.pos:], "=~"):
			t, p.pos = MatchRegexp, p.pos+2
		case strings.HasPrefix(p.in[p.pos:], "!~"):
			t, p.pos = MatchNotRegexp, p.pos+2
		case strings.HasPrefix(p.in[p.pos:], "!="):
			t, p.pos = MatchNotEqual, p.pos+2
		case p.peek() == '=':
			t, p.pos = MatchEqual, p.pos+1
		default:
			return nil, p.errorf("expected =, !=, =~ or !~ after %q", name)
		}
		p.space()
		var val string
		var err error
		if p.bare && p.peek() != '"' {
			val, err = p.unquoted()
		} else {
			val, err = p.quoted()
		}
		if err != nil {
			return nil, err
		}
		m, err := NewMatcher(t, name, val)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		p.space()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
		default:
			return nil, p.errorf("expected , or }")
		}
	}
}

func (p *parser) quoted() (string, error) {
	if p.peek() != '"' {
		return "", p.errorf("expected a double-quoted value")
	}
	start := p.pos
	p.pos++
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			s, err := strconv.Unquote(p.in[start:p.pos])
			if err != nil {
				return "", p.errorf("bad string %s", p.in[start:p.pos])
			}
			return s, nil
		}
		p.pos++
	}
	return "", p.errorf("unterminated string")
}

// unquoted reads a bare Alertmanager matcher value: everything up to the
// next comma or closing brace, without surrounding blanks. Quotes and
// backslashes inside a bare value are refused rather than guessed at.
func (p *parser) unquoted() (string, error) {
	start := p.pos
	for p.pos < len(p.in) && p.in[p.pos] != ',' && p.in[p.pos] != '}' {
		switch p.in[p.pos] {
		case '"', '\\', '{', '\'', '`':
			return "", p.errorf("unexpected %q in an unquoted value (quote the value)", p.in[p.pos])
		}
		p.pos++
	}
	v := strings.TrimSpace(p.in[start:p.pos])
	if v == "" {
		return "", p.errorf("expected a value (use \"\" for the empty string)")
	}
	if !utf8.ValidString(v) {
		return "", p.errorf("value is not valid UTF-8")
	}
	return v, nil
}

// MarshalText renders the matcher as name="value" with its operator.
func (m *Matcher) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses one matcher such as team="payments".
func (m *Matcher) UnmarshalText(b []byte) error {
	ms, err := ParseMatchers(string(b))
	if err != nil {
		return err
	}
	if len(ms) != 1 {
		return fmt.Errorf("%w: want exactly one matcher, got %d", errSyntax, len(ms))
	}
	*m = *ms[0]
	return nil
}
