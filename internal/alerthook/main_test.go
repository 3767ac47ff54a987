package alerthook_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/internal/alerthook"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Linking alerting fills every hook in, with values of alerting's types.
func TestAlertingFillsTheHooks(t *testing.T) {
	if alerthook.WithClock == nil || alerthook.WithRetryWait == nil || alerthook.Tick == nil || alerthook.Now == nil || alerthook.State == nil {
		t.Fatal("a hook is nil although alerting is linked")
	}
	if _, ok := alerthook.WithClock(nil).(alerting.SharedOption); !ok {
		t.Fatal("WithClock does not return an alerting.SharedOption")
	}
	if _, ok := alerthook.WithRetryWait(nil).(dispatch.Option); !ok {
		t.Fatal("WithRetryWait does not return an dispatch.Option")
	}
	ev, err := alerting.NewEvaluator(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := alerthook.State(ev).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := alerthook.State(ev).UnmarshalBinary(b); err != nil {
		t.Fatalf("an evaluator does not restore its own snapshot: %v", err)
	}
	if alerthook.Now(ev).IsZero() {
		t.Fatal("Now of an evaluator on the real clock is zero")
	}
}
