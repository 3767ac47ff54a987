package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeRules(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRulesFlag: -rules FILE replaces the embedded rules with the file's;
// a file the loader refuses stops flag parsing with the loader's error.
func TestRulesFlag(t *testing.T) {
	noEnv := func(string) string { return "" }
	good := writeRules(t, "rules:\n  - name: SlowPSP\n    quantile: {histogram: igmon.dependency.duration, quantile: 0.95, window: 5m, value: 1.5}\n")
	cfg, err := parseFlags([]string{"-rules", good}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.rules) != 1 || cfg.rules[0].Name != "SlowPSP" {
		t.Fatalf("rules = %+v, want the file's one rule", cfg.rules)
	}
	if cfg, err := parseFlags(nil, noEnv, io.Discard); err != nil || cfg.rules != nil {
		t.Fatalf("without -rules: %v, %d rules; want nil (the embedded rules.yaml)", err, len(cfg.rules))
	}
	// A file with no rules means no rules, not the embedded ones.
	if cfg, err := parseFlags([]string{"-rules", writeRules(t, "rules: []\n")}, noEnv, io.Discard); err != nil || cfg.rules == nil || len(cfg.rules) != 0 {
		t.Fatalf("empty file: %v, %v", err, cfg.rules)
	}
	for _, tt := range []struct{ name, content, want string }{
		{"NaN threshold", "rules:\n  - name: X\n    threshold: {metric: m, value: .nan}\n", `: alerting: rule "X" field threshold.value (line 3): must be a finite number`},
		{"unknown field", "rules:\n  - name: X\n    treshold: {metric: m}\n", `field treshold (line 3): unknown field`},
		{"too many rules", "rules: [" + strings.Repeat("{}, ", 10_001) + "{}]\n", "more than 10000 (raise the limit with rulefile.WithMaxRules)"},
		{"looping template", "rules:\n  - name: X\n    threshold: {metric: m, value: 1}\n    annotations: {summary: '{{ range 100000000 }}{{ end }}'}\n", "too much work"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeRules(t, tt.content)
			_, err := parseFlags([]string{"-rules", path}, noEnv, io.Discard)
			if err == nil || !strings.HasPrefix(err.Error(), "-rules: "+path+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseFlags = %v, want -rules: %s: …%s", err, path, tt.want)
			}
		})
	}
	if _, err := parseFlags([]string{"-rules", filepath.Join(t.TempDir(), "missing.yaml")}, noEnv, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestRulesFlagBadFileStopsTheDemo: the command exits 2 at start with the
// loader's error, before serving anything.
func TestRulesFlagBadFileStopsTheDemo(t *testing.T) {
	path := writeRules(t, "rules:\n  - name: X\n    ratio: {numerator: a, denominator: b, window: 5m, value: -0.05}\n")
	var stdout, stderr bytes.Buffer
	code := realMain([]string{"-rules", path, "-addr", "127.0.0.1:0", "-grpc-addr", ""}, func(string) string { return "" }, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr: %s", code, stderr.String())
	}
	want := `casino: -rules: ` + path + `: alerting: rule "X" field ratio.value (line 3): must not be negative, got -0.05`
	if strings.TrimSpace(stderr.String()) != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
	if stdout.Len() > 0 {
		t.Errorf("the demo started: %s", stdout.String())
	}
}
