package doctest

import (
	"strings"
	"testing"

	"github.com/jackcode/igmon/alerting/rulefile"
	"go.yaml.in/yaml/v3"
)

// fencedBlocks returns the code blocks of a Markdown text whose info string
// is lang, with the line of their first line of code.
func fencedBlocks(file, text, lang string) []snippet {
	var out []snippet
	var cur *snippet
	var b strings.Builder
	inFence := false
	for i, line := range strings.Split(text, "\n") {
		m := fence.FindStringSubmatch(line)
		switch {
		case m != nil && !inFence:
			inFence = true
			if m[1] == lang {
				cur = &snippet{file: file, line: i + 2}
				b.Reset()
			}
		case m != nil && inFence:
			inFence = false
			if cur != nil {
				cur.code = b.String()
				out = append(out, *cur)
				cur = nil
			}
		case cur != nil:
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return out
}

// TestYAMLSnippetsParse: every ```yaml block of the docs is valid YAML, and
// a block that is a rule file (it starts with "rules:") loads with
// rulefile.Load, so the documented rules are ones igmon accepts.
func TestYAMLSnippetsParse(t *testing.T) {
	blocks, rules := 0, 0
	for _, file := range docFiles(t) {
		for _, s := range fencedBlocks(file, readDoc(t, file), "yaml") {
			blocks++
			var v any
			if err := yaml.Unmarshal([]byte(s.code), &v); err != nil {
				t.Errorf("%s: not valid YAML: %v", s, err)
				continue
			}
			if !strings.HasPrefix(s.code, "rules:") {
				continue
			}
			rules++
			if _, err := rulefile.Load(strings.NewReader(s.code)); err != nil {
				t.Errorf("%s: the rule file does not load: %v", s, err)
			}
		}
	}
	if blocks == 0 || rules == 0 {
		t.Fatalf("found %d yaml blocks, %d rule files: the extractor is broken", blocks, rules)
	}
	t.Logf("%d yaml blocks parsed, %d of them rule files loaded", blocks, rules)
}
