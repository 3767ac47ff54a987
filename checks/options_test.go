package checks_test

import (
	"testing"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/grpccheck"
	"github.com/jackcode/igmon/checks/hostcheck"
	"github.com/jackcode/igmon/internal/checkstest"
)

// TestOptionTypesAcceptExactlyTheirOptions proves, through the real
// signatures, which option compiles with which constructor: every common
// option everywhere; WithName only where the check has a default name
// (not NewCheck, Register or Func, which take the name as an argument);
// WithLatencyWarn only on the checks that time a round trip; hostcheck's
// own options only on their constructor. probes.Probe.Check, which takes
// no WithInterval, WithTimeout or WithOnRequest, is proved in package
// probes.
func TestOptionTypesAcceptExactlyTheirOptions(t *testing.T) {
	common := map[string]any{
		"WithEndpoints": checks.WithEndpoints, "WithTimeout": checks.WithTimeout,
		"WithCritical": checks.WithCritical, "WithComponentType": checks.WithComponentType,
		"WithInterval": checks.WithInterval, "WithOnRequest": checks.WithOnRequest,
		"WithInitialDelay": checks.WithInitialDelay, "WithJitter": checks.WithJitter,
		"WithThresholds": checks.WithThresholds, "WithStaleAfter": checks.WithStaleAfter,
	}
	own := map[string]any{
		"WithName": checks.WithName, "WithLatencyWarn": checks.WithLatencyWarn,
		"hostcheck.WithRSSLimit": hostcheck.WithRSSLimit, "hostcheck.WithHeapLimit": hostcheck.WithHeapLimit,
		"hostcheck.WithFreeBytes": hostcheck.WithFreeBytes, "hostcheck.WithFreePercent": hostcheck.WithFreePercent,
	}
	constructors := []struct {
		name    string
		fn      any
		accepts []string // besides the common options
	}{
		{"NewCheck", checks.NewCheck, nil},
		{"Registry.Register", (*checks.Registry).Register, nil},
		{"Func", checks.Func, []string{"WithLatencyWarn"}},
		{"SQL", checks.SQL, []string{"WithName", "WithLatencyWarn"}},
		{"grpccheck.Health", grpccheck.Health, []string{"WithName", "WithLatencyWarn"}},
		{"Goroutines", checks.Goroutines, []string{"WithName"}},
		{"hostcheck.Memory", hostcheck.Memory, []string{"WithName", "hostcheck.WithRSSLimit", "hostcheck.WithHeapLimit"}},
		{"hostcheck.DiskFree", hostcheck.DiskFree, []string{"WithName", "hostcheck.WithFreeBytes", "hostcheck.WithFreePercent"}},
	}
	for _, c := range constructors {
		accepted := map[string]bool{}
		for _, o := range c.accepts {
			accepted[o] = true
		}
		check := func(opt string, fn any, want bool) {
			static, dynamic := checkstest.OptionCompiles(c.fn, fn)
			if static != want {
				t.Errorf("%s(..., %s(...)) compiles: %v, want %v", c.name, opt, static, want)
			}
			if dynamic != static {
				t.Errorf("%s: the value of %s implements the option type: %v, but its declared type: %v", c.name, opt, dynamic, static)
			}
		}
		for opt, fn := range common {
			check(opt, fn, true)
		}
		for opt, fn := range own {
			check(opt, fn, accepted[opt])
		}
	}
}
