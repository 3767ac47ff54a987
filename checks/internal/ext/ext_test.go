package ext_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/internal/ext"
	"github.com/jackcode/igmon/internal/checkstest"
)

type cfgA struct{ n int }
type cfgB struct{ s string }

// optA and optB are options of two constructors that share no option type
// (the Memory and DiskFree kinds); buildA is the first constructor.
func optA(n int) checks.MemoryOption {
	return ext.Option[checks.MemoryOption]("WithA", "hostcheck.Memory", func(c *cfgA) { c.n = n })
}

func optB(s string) checks.DiskOption {
	return ext.Option[checks.DiskOption]("WithB", "hostcheck.DiskFree", func(c *cfgB) { c.s = s })
}

func buildA(opts ...checks.MemoryOption) (*checks.Check, cfgA, error) {
	var cfg cfgA
	b := ext.NewBuilder("hostcheck.Memory", ext.DefaultName("a", "peer:1"), "system", "m")
	ext.Configure(b, &cfg, opts)
	c, err := ext.Build[*checks.Check](b, func(context.Context) error { return nil })
	return c, cfg, err
}

func TestBuilderRoutesOwnOptions(t *testing.T) {
	c, cfg, err := buildA(optA(7), nil, checks.WithEndpoints(checks.Liveness), checks.WithName("renamed"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.n != 7 {
		t.Errorf("own option not applied: n = %d", cfg.n)
	}
	if c.Name() != "renamed" || checkstest.SettingsOf(c).Endpoints != checks.Liveness || checkstest.SettingsOf(c).ComponentType != "system" {
		t.Errorf("check = %q %v %q", c.Name(), checkstest.SettingsOf(c).Endpoints, checkstest.SettingsOf(c).ComponentType)
	}
	if c, _, err := buildA(optA(1), optA(2)); c != nil || !strings.Contains(err.Error(), "WithA: given twice") {
		t.Fatalf("got (%v, %v), want WithA: given twice", c, err)
	}
}

// TestBuilderRefusesAnotherConstructorsOption: the option types keep
// another constructor's option out at compile time; a builder reached
// around them (through ext.Configure with any) still refuses it, naming it.
func TestBuilderRefusesAnotherConstructorsOption(t *testing.T) {
	var cfg cfgA
	b := ext.NewBuilder("hostcheck.Memory", "a", "system", "m")
	ext.Configure(b, &cfg, []any{optB("x")})
	c, err := ext.Build[*checks.Check](b, func(context.Context) error { return nil })
	if c != nil || !errors.Is(err, checks.ErrInvalidCheck) || !strings.Contains(err.Error(), "WithB: applies only to hostcheck.DiskFree") {
		t.Fatalf("got (%v, %v), want ErrInvalidCheck naming WithB", c, err)
	}
}

func TestEvaluateRunsTheNamedCheck(t *testing.T) {
	reg, err := checks.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Shutdown(context.Background())
	var runs atomic.Int32
	if err := reg.Register("db", func(context.Context) error { runs.Add(1); return errors.New("down") }, checks.WithOnRequest(1e9)); err != nil {
		t.Fatal(err)
	}
	st, ok := ext.Evaluate[checks.Status](context.Background(), reg, "db")
	if !ok || st != checks.StatusFail || runs.Load() != 1 {
		t.Errorf("Evaluate = %v, %v after %d runs; want fail, true after 1", st, ok, runs.Load())
	}
	if _, ok := ext.Evaluate[checks.Status](context.Background(), reg, "nope"); ok {
		t.Error("Evaluate found an unknown check")
	}
}
