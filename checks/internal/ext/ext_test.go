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

func optA(n int) checks.Option {
	return ext.Option[checks.Option]("WithA", "x.A", func(c *cfgA) { c.n = n })
}

func optB(s string) checks.Option {
	return ext.Option[checks.Option]("WithB", "x.B", func(c *cfgB) { c.s = s })
}

func buildA(opts ...checks.Option) (*checks.Check, cfgA, error) {
	var cfg cfgA
	b := ext.NewBuilder("x.A", ext.DefaultName("a", "peer:1"), "system", "m", false)
	ext.Configure(b, &cfg, opts)
	c, err := ext.Build[*checks.Check](b, func(context.Context) error { return nil })
	return c, cfg, err
}

func TestBuilderRoutesOwnOptionsAndRejectsOthers(t *testing.T) {
	c, cfg, err := buildA(optA(7), nil, checks.WithEndpoints(checks.Liveness))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.n != 7 {
		t.Errorf("own option not applied: n = %d", cfg.n)
	}
	if c.Name() != "a-peer-1" || checkstest.SettingsOf(c).Endpoints != checks.Liveness || checkstest.SettingsOf(c).ComponentType != "system" {
		t.Errorf("check = %q %v %q", c.Name(), checkstest.SettingsOf(c).Endpoints, checkstest.SettingsOf(c).ComponentType)
	}

	tests := []struct {
		name string
		opt  checks.Option
		want string
	}{
		{"another subpackage's option", optB("x"), "WithB: applies only to x.B"},
		{"latency on a non-network check", checks.WithLatencyWarn(1), "WithLatencyWarn does not apply to x.A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := buildA(tt.opt)
			if c != nil || !errors.Is(err, checks.ErrInvalidCheck) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got (%v, %v), want ErrInvalidCheck containing %q", c, err, tt.want)
			}
		})
	}
}

func TestSubpackageOptionRefusedByNewCheck(t *testing.T) {
	_, err := checks.NewCheck("c", func(context.Context) error { return nil }, optA(1))
	if err == nil || !strings.Contains(err.Error(), "WithA: applies only to x.A") {
		t.Fatalf("err = %v, want the option named", err)
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
