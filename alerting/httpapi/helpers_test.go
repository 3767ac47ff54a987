package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

// meters are the two gauges the fixture's rules read, through a real SDK
// MeterProvider read by a ManualReader, on a fake clock.
type meters struct {
	clk    *clock.Fake
	reader *sdkmetric.ManualReader
	cpu    metric.Float64Gauge
	mem    metric.Float64Gauge
}

func newMeters(t testing.TB) *meters {
	t.Helper()
	m := &meters{clk: clock.NewFake(t0), reader: sdkmetric.NewManualReader()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(m.reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	meter := mp.Meter("github.com/jackcode/igmon/monitor")
	var err error
	if m.cpu, err = meter.Float64Gauge("system.cpu.utilization", metric.WithUnit("1")); err != nil {
		t.Fatal(err)
	}
	if m.mem, err = meter.Float64Gauge("system.memory.utilization", metric.WithUnit("1")); err != nil {
		t.Fatal(err)
	}
	return m
}

// fakeClock sets the time source of an Evaluator or a Dispatcher.
func fakeClock(c clock.Clock) alerting.SharedOption {
	return alerthook.WithClock(c).(alerting.SharedOption)
}

// newDispatcher is a dispatcher on clk; Close runs at cleanup.
func newDispatcher(t testing.TB, clk clock.Clock, opts ...dispatch.Option) *dispatch.Dispatcher {
	t.Helper()
	d, err := dispatch.New(append([]dispatch.Option{fakeClock(clk)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// newHandler is NewHandler for options that are valid.
func newHandler(t testing.TB, ev *alerting.Evaluator, d *dispatch.Dispatcher, opts ...Option) http.Handler {
	t.Helper()
	h, err := NewHandler(ev, d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustSel(t testing.TB, s string) alerting.Selector {
	t.Helper()
	sel, err := alerting.ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func mustMatchers(t testing.TB, s string) alerting.Matchers {
	t.Helper()
	ms, err := alerting.ParseMatchers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// discard is a notifier that accepts everything.
var discard = dispatch.NotifierFunc(func(context.Context, *dispatch.Notification) error { return nil })

// firingFingerprint is the fingerprint of rule's firing alert.
func firingFingerprint(t testing.TB, ev *alerting.Evaluator, rule string) string {
	t.Helper()
	for _, a := range ev.Alerts() {
		if a.Rule == rule && a.State == alerting.StateFiring {
			return a.Fingerprint
		}
	}
	t.Fatalf("%s does not fire", rule)
	return ""
}
