package instrumenthook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/goleak"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Linking instrument fills every hook in, with values of instrument's
// types, and each reaches the dependency it is given.
func TestInstrumentFillsTheHooks(t *testing.T) {
	if instrumenthook.WithMonitor == nil || instrumenthook.SetHealth == nil || instrumenthook.Failure == nil || instrumenthook.WithClock == nil {
		t.Fatal("a hook is nil although instrument is linked")
	}
	if _, ok := instrumenthook.WithClock(clock.NewFake(time.Time{})).(instrument.DependencyOption); !ok {
		t.Fatal("WithClock does not return an instrument.DependencyOption")
	}
	src := func(kind, name string) instrumenthook.Figures {
		var f instrumenthook.Figures
		f.Outcomes[instrument.OutcomeSuccess] = 3
		return f
	}
	own, ok := instrumenthook.WithMonitor(noop.NewMeterProvider(), src).(instrument.Option)
	if !ok {
		t.Fatal("WithMonitor does not return an instrument.Option")
	}
	d, err := instrument.NewDependency(instrument.KindPayment, "stripe", own,
		instrument.WithErrorClassifier(func(error) instrument.Outcome { return instrument.OutcomeDeclined }))
	if err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); st.Calls != 3 {
		t.Fatalf("Stats does not read the source: %+v", st)
	}
	instrumenthook.SetHealth(d, instrument.Health{State: checks.StatusWarn})
	if d.Health().State != checks.StatusWarn {
		t.Fatal("SetHealth did not publish")
	}
	if instrumenthook.Failure(d, errors.New("card declined")) {
		t.Fatal("Failure ignores the dependency's error classifier")
	}
	plain, err := instrument.NewDependency(instrument.KindPayment, "adyen", instrument.WithMeterProvider(noop.NewMeterProvider()))
	if err != nil {
		t.Fatal(err)
	}
	if !instrumenthook.Failure(plain, context.DeadlineExceeded) || instrumenthook.Failure(plain, instrument.Declined(errors.New("no"))) ||
		instrumenthook.Failure(plain, context.Canceled) {
		t.Fatal("Failure does not classify as Track does: timeouts count, declines and cancellations do not")
	}
}
