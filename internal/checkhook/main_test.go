package checkhook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkhook"
	"github.com/jackcode/igmon/internal/checkstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func ok(context.Context) error { return nil }

func build(opts ...checks.ProbeOption) (*checks.Check, error) {
	return checkhook.Build[*checks.Check]("c", ok, opts,
		[]checks.Option{checks.WithCritical(false), checks.WithComponentType("http"), checks.WithInterval(time.Minute)})
}

// The defaults fill in what the caller did not set, the caller's options
// win without a repeat, and a repeated option fails naming it.
func TestCallerOptionsWinOverDefaultsByConstruction(t *testing.T) {
	c, err := build()
	if err != nil {
		t.Fatal(err)
	}
	if s := checkstest.SettingsOf(c); s.Critical || s.ComponentType != "http" || s.Interval != time.Minute {
		t.Errorf("defaults not applied: %+v", s)
	}
	c, err = build(checks.WithCritical(true), checks.WithComponentType("kyc"))
	if err != nil {
		t.Fatal(err)
	}
	if s := checkstest.SettingsOf(c); !s.Critical || s.ComponentType != "kyc" {
		t.Errorf("caller's options did not win: %+v", s)
	}
	if _, err := build(checks.WithCritical(true), checks.WithCritical(false)); err == nil || !strings.Contains(err.Error(), "WithCritical: given twice") {
		t.Errorf("repeated option: err = %v, want it named", err)
	}
}
