package monitor

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/clock"
)

// TestInProcessOnUserProvider: a service that builds its own
// MeterProvider registers the Monitor's in-process reader with it and
// keeps metric alert rules.
func TestInProcessOnUserProvider(t *testing.T) {
	inproc, err := exporters.NewInProcess(exporters.WithCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(inproc.Reader()), sdkmetric.WithView(exporters.ExemplarView()))
	defer mp.Shutdown(context.Background())

	fc := clock.NewFake(alT0)
	m, err := New(quiet, WithMeterProvider(mp), WithInProcess(inproc),
		WithAlerting([]alerting.Rule{paymentErrorRule(t)}, alertClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	if m.Metrics() != inproc {
		t.Fatal("Metrics() is not the reader given with WithInProcess")
	}
	// A first cycle before any call: series that exist in the first
	// collection have an unknown history and count from there.
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	psp, code := codePSP(t)
	code.Store(http.StatusInternalServerError)
	client := &http.Client{Transport: mustDep(t, m, instrument.KindPayment, "stripe").Transport(nil)}
	for range 20 {
		resp, err := client.Get(psp.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for range 3 { // pending, then firing after For (20s)
		if err := m.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		fc.Advance(15 * time.Second)
	}
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got alerting.State
	for _, a := range m.currentAlerts() {
		if a.Rule == "PaymentProviderErrors" {
			got = a.State
		}
	}
	if got != alerting.StateFiring {
		t.Fatalf("PaymentProviderErrors = %v on the user's provider, want firing", got)
	}
}

func TestInProcessNotRegistered(t *testing.T) {
	inproc, err := exporters.NewInProcess()
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider() // the reader was forgotten
	defer mp.Shutdown(context.Background())
	_, err = New(quiet, WithMeterProvider(mp), WithInProcess(inproc), WithAlerting([]alerting.Rule{paymentErrorRule(t)}))
	if err == nil || !strings.Contains(err.Error(), "WithInProcess") {
		t.Fatalf("unregistered in-process reader: err = %v, want one naming WithInProcess", err)
	}
	if _, err := New(quiet, WithInProcess(nil)); err == nil || !strings.Contains(err.Error(), "WithInProcess") {
		t.Fatalf("nil reader: err = %v", err)
	}
}
