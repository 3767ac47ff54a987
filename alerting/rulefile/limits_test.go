package rulefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/ruleerr"
)

// The loader's limits, tested with the hostile and careless inputs that
// found them. Every input is generated here; each test bounds its own
// time and memory.

// ruleGen is a reader of a valid rule file with n rules of exactly 128
// bytes each after a 128-byte header, generated as it is read, so that a
// 16 MiB limit falls between two rules (a silent cut there would still
// parse).
type ruleGen struct {
	n, next int
	rule    []byte // the current rule; its name's digits change in place
	buf     []byte // what is left to read of it
	read    int64
}

func newRuleGen(n int) *ruleGen {
	r := "  - name: R0000000\n    threshold: {metric: igmon.x, value: 1}\n    labels: {team: payments}"
	return &ruleGen{n: n, rule: []byte(r + strings.Repeat(" ", 127-len(r)) + "\n"),
		buf: []byte("rules:\n#" + strings.Repeat("x", 119) + "\n")}
}

func (g *ruleGen) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.buf) == 0 {
			if g.next == g.n {
				break
			}
			for i, v := 17, g.next; i >= 11; i, v = i-1, v/10 {
				g.rule[i] = byte('0' + v%10)
			}
			g.buf = g.rule
			g.next++
		}
		k := copy(p[n:], g.buf)
		g.buf, n = g.buf[k:], n+k
	}
	g.read += int64(n)
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (g *ruleGen) bytes() []byte {
	b, _ := io.ReadAll(g) // never fails
	return b
}

// spaceReader yields n spaces.
type spaceReader struct{ n, read int64 }

func (s *spaceReader) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), s.n)
	for i := range k {
		p[i] = ' '
	}
	s.n -= k
	s.read += k
	return int(k), nil
}

// bounded runs fn and fails the test when it allocates more than maxAlloc
// bytes: the work a hostile input causes is bounded by what it may
// allocate, which does not depend on how loaded the machine is. The time
// it took is only logged, against the budget d it would have on an idle
// machine (the benchmarks measure it).
func bounded(t *testing.T, d time.Duration, maxAlloc uint64, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	fn()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if took > d {
		t.Logf("took %v (budget on an idle machine: %v)", took, d)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > maxAlloc {
		t.Errorf("allocated %d MB, want at most %d MB", a>>20, maxAlloc>>20)
	}
}

func wantLimit(t *testing.T, err error, option string) {
	t.Helper()
	if !errors.Is(err, alerting.ErrRuleLimit) || !errors.Is(err, alerting.ErrInvalidRule) || !strings.Contains(err.Error(), option) {
		t.Fatalf("error = %v, want alerting.ErrRuleLimit (and alerting.ErrInvalidRule) naming %s", err, option)
	}
}

// A valid 20 MB file used to load its first 16 MiB with no error.
func TestLoadRefusesInputOverTheLimitInsteadOfCuttingIt(t *testing.T) {
	g := newRuleGen(156_250) // 20,000,128 bytes
	// Reading 16 MiB with io.ReadAll allocates about 70 MB in all.
	bounded(t, 2*time.Second, 128<<20, func() {
		rules, err := Load(g)
		if rules != nil {
			t.Errorf("got %d rules", len(rules))
		}
		wantLimit(t, err, "WithMaxBytes")
	})
	if g.read > defaultMaxBytes+1<<16 {
		t.Errorf("read %d bytes, want one past the %d limit (and a buffer)", g.read, defaultMaxBytes)
	}
}

// 512 MB of spaces used to be 0 rules and no error, after reading 16 MiB.
func TestLoadRefusesSpacesOverTheLimit(t *testing.T) {
	s := &spaceReader{n: 512 << 20}
	bounded(t, 2*time.Second, 128<<20, func() {
		_, err := Load(s)
		wantLimit(t, err, "WithMaxBytes")
	})
	if s.read > defaultMaxBytes+1<<16 {
		t.Errorf("read %d bytes of 512 MB", s.read)
	}
}

// A million rules (65 MB) used to take 9-19 s and 3 GB.
func TestMillionRulesRefusedQuickly(t *testing.T) {
	g := newRuleGen(1_000_000)
	bounded(t, 2*time.Second, 128<<20, func() {
		_, err := Load(g)
		wantLimit(t, err, "WithMaxBytes")
	})
	// The same file on disk is refused without being read: a sparse file
	// of the same size stands for it.
	path := filepath.Join(t.TempDir(), "million.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(128_000_128); err != nil {
		t.Fatal(err)
	}
	f.Close()
	bounded(t, time.Second, 1<<20, func() {
		_, err := LoadFile(path)
		wantLimit(t, err, "WithMaxBytes")
		if !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("error does not start with the path: %v", err)
		}
	})
}

func TestRuleLimitsApplyToEveryEntryPoint(t *testing.T) {
	data := newRuleGen(10).bytes() // 1408 bytes
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	loaders := map[string]func(...Option) ([]alerting.Rule, error){
		"Load":     func(o ...Option) ([]alerting.Rule, error) { return Load(strings.NewReader(string(data)), o...) },
		"LoadFile": func(o ...Option) ([]alerting.Rule, error) { return LoadFile(path, o...) },
	}
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			if rules, err := load(); err != nil || len(rules) != 10 {
				t.Fatalf("defaults: %d rules, %v", len(rules), err)
			}
			// Exactly at the limits loads; one byte or one rule more does not.
			if rules, err := load(WithMaxBytes(int64(len(data))), WithMaxRules(10)); err != nil || len(rules) != 10 {
				t.Fatalf("at the limits: %d rules, %v", len(rules), err)
			}
			_, err := load(WithMaxBytes(int64(len(data) - 1)))
			wantLimit(t, err, "WithMaxBytes")
			_, err = load(WithMaxRules(9))
			wantLimit(t, err, "WithMaxRules")
			if !strings.Contains(err.Error(), "10 rules, more than 9") {
				t.Errorf("error does not say the count and the limit: %v", err)
			}
			for _, bad := range []struct {
				opt  Option
				name string
			}{{WithMaxRules(0), "WithMaxRules"}, {WithMaxBytes(-1), "WithMaxBytes"}, {nil, "option #0 is nil"}} {
				_, err := load(bad.opt)
				if !errors.Is(err, alerting.ErrInvalidOption) || !strings.Contains(err.Error(), bad.name) {
					t.Errorf("%s: error = %v, want alerting.ErrInvalidOption naming it", bad.name, err)
				}
			}
		})
	}
}

// The count is checked before any rule is decoded or validated, so the
// error comes at the cost of the YAML parse alone.
func TestRuleCountLimitDefault(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range defaultMaxRules + 1 {
		fmt.Fprintf(&b, "- {name: R%d, threshold: {metric: m, value: 1}}\n", i)
	}
	bounded(t, 2*time.Second, 64<<20, func() {
		_, err := Load(strings.NewReader(b.String()))
		wantLimit(t, err, "WithMaxRules")
	})
	rules, err := Load(strings.NewReader(b.String()), WithMaxRules(defaultMaxRules+1))
	if err != nil || len(rules) != defaultMaxRules+1 {
		t.Fatalf("raised limit: %d rules, %v", len(rules), err)
	}
}

// bigAnchor is a rule file whose first rule anchors an annotation of size
// bytes that n-1 more rules alias.
func bigAnchor(size, n int, tmpl string) string {
	var b strings.Builder
	b.WriteString("rules:\n  - name: R0\n    threshold: {metric: m, value: 1}\n    annotations: {summary: &t '")
	for i := 0; b.Len() < size; i++ {
		b.WriteString(tmpl)
	}
	b.WriteString("'}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - name: R%d\n    threshold: {metric: m, value: 1}\n    annotations: {summary: *t}\n", i)
	}
	return b.String()
}

// One large anchored template aliased by 2,000 rules (a 1.15 MB file) was
// still validating after 120 s.
func TestAliasedLargeTemplateRefusedQuickly(t *testing.T) {
	data := bigAnchor(1_000_000, 2000, "{{ .Value }} ")
	bounded(t, 2*time.Second, 128<<20, func() {
		_, err := Load(strings.NewReader(data))
		wantLimit(t, err, "WithMaxBytes")
		if !strings.Contains(err.Error(), "aliases") {
			t.Errorf("error does not blame the aliases: %v", err)
		}
	})
	// Without aliases, the same template is refused for its length.
	_, err := Load(strings.NewReader(bigAnchor(1_000_000, 1, "{{ .Value }} ")))
	var fe *ruleerr.Error
	if !errors.As(err, &fe) || fe.Field != "annotations.summary" || !strings.Contains(err.Error(), "longer than 65536 bytes") {
		t.Fatalf("error = %v, want the annotation named as too long", err)
	}
}

// A template aliased by 2,000 rules runs once: this one does 45,000
// steps, 90,000,000 for 2,000 runs, far above the rule set's budget.
func TestAliasedTemplateValidatedOnce(t *testing.T) {
	data := bigAnchor(0, 2000, "") // the loop is the whole template
	data = strings.Replace(data, "&t ''", "&t '{{ range 45000 }}{{ end }}'", 1)
	bounded(t, 2*time.Second, 64<<20, func() {
		rules, err := Load(strings.NewReader(data))
		if err != nil || len(rules) != 2000 {
			t.Fatalf("%d rules, %v", len(rules), err)
		}
	})
	if err := alerting.ValidateRules(mustParse(t, data)); err != nil {
		t.Fatalf("ValidateRules: %v", err)
	}
}

func mustParse(t *testing.T, data string) []alerting.Rule {
	t.Helper()
	rules, err := Load(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// "Billion laughs": nine levels of ten aliases expand to 10^9 nodes.
func TestBillionLaughsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	doc := b.String()
	// Anchors can only be defined inside the rules list.
	data := "rules:\n  - name: R\n    threshold: {metric: m, value: 1}\n    by: &by [x]\n    labels:\n" +
		indent(doc, "      ") + "\n  - name: S\n    threshold: {metric: m, value: 1}\n    labels: *l8\n"
	bounded(t, time.Second, 32<<20, func() {
		_, err := Load(strings.NewReader(data))
		wantLimit(t, err, "WithMaxBytes")
	})
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix)
}

// FuzzLoadLimits: whatever the input and limits, the loader returns
// at most maxRules rules from at most maxBytes bytes, and refuses anything
// else with alerting.ErrRuleLimit rather than returning part of it.
func FuzzLoadLimits(f *testing.F) {
	f.Add(string(newRuleGen(3).bytes()), int64(400), 2)
	f.Add("rules:\n  - &r {name: a, threshold: {metric: m, value: 1}}\n  - *r\n", int64(1000), 5)
	f.Add("rules: [{name: a, annotations: {s: &s x}, threshold: {metric: m}}, {name: b, annotations: {s: *s}, threshold: {metric: m}}]", int64(90), 10)
	f.Fuzz(func(t *testing.T, data string, maxBytes int64, maxRules int) {
		if maxBytes <= 0 || maxRules <= 0 {
			return
		}
		whole, wholeErr := Load(strings.NewReader(data), WithMaxRules(1<<30))
		rules, err := Load(strings.NewReader(data), WithMaxBytes(maxBytes), WithMaxRules(maxRules))
		if err != nil {
			if !errors.Is(err, alerting.ErrInvalidRule) {
				t.Fatalf("error does not wrap ErrInvalidRule: %v", err)
			}
			if errors.Is(err, alerting.ErrRuleLimit) && strings.Contains(err.Error(), "WithMaxBytes") && int64(len(data)) <= maxBytes &&
				!strings.Contains(err.Error(), "aliases") {
				t.Fatalf("%d bytes refused with a limit of %d: %v", len(data), maxBytes, err)
			}
			return
		}
		if int64(len(data)) > maxBytes || len(rules) > maxRules {
			t.Fatalf("%d bytes, %d rules accepted with limits %d, %d", len(data), len(rules), maxBytes, maxRules)
		}
		if wholeErr != nil || len(whole) != len(rules) {
			t.Fatalf("limited load returned %d rules, unlimited %d (%v)", len(rules), len(whole), wholeErr)
		}
	})
}
