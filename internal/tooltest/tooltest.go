// Package tooltest finds the real Prometheus and Alertmanager tools that
// .ci/test builds (.ci/tools.sh), for the conformance and fleet tests.
// Test binaries import it; nothing else does.
package tooltest

import (
	"os"
	"testing"
)

// The tools and the variables .ci/tools.sh exports their paths in.
const (
	Promtool     = "IGMON_PROMTOOL"
	Amtool       = "IGMON_AMTOOL"
	Alertmanager = "IGMON_ALERTMANAGER"
)

// Path returns the path of a tool, named by its variable. Without it the
// test skips, except in CI (CI set), where it fails: there the tools are
// part of the contract.
func Path(t testing.TB, variable string) string {
	t.Helper()
	p := os.Getenv(variable)
	if p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s (%q) is not an executable: .ci/tools.sh builds it", variable, p)
	}
	t.Skipf("%s is not set: run the tests with bash .ci/test, which builds the tool", variable)
	return ""
}
