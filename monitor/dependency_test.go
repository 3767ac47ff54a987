package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/instrument"
)

// TestDependencyNamesAreUniquePerMonitor: a second declaration of a name
// fails, and a bad definition fails with instrument's error naming the
// field, without registering anything.
func TestDependencyNamesAreUniquePerMonitor(t *testing.T) {
	m, _ := newDepMonitor(t)
	if _, err := m.Dependency(instrument.KindPayment, "taken"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Dependency(instrument.KindKYC, "taken"); !errors.Is(err, errDuplicateDependency) || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("duplicate: error %v, want %v naming the name", err, errDuplicateDependency)
	}
	if _, err := m.Dependency(instrument.KindKYC, "bad name"); err == nil || !strings.Contains(err.Error(), "name") {
		t.Fatalf("bad name: error %v", err)
	}
	deps := m.dependencyList()
	if len(deps) != 1 || deps[0].Name() != "taken" || deps[0].Kind() != instrument.KindPayment {
		t.Fatalf("dependencies = %v", deps)
	}
}

func TestDependenciesSorted(t *testing.T) {
	m, _ := newDepMonitor(t)
	mustDep(t, m, instrument.KindPayment, "b")
	mustDep(t, m, instrument.KindKYC, "z")
	mustDep(t, m, instrument.KindPayment, "a")
	var got []string
	for _, d := range m.dependencyList() {
		got = append(got, d.Kind()+"/"+d.Name())
	}
	if strings.Join(got, ",") != "kyc/z,payment/a,payment/b" {
		t.Fatalf("dependencies = %v", got)
	}
}

// TestPassiveHealthOverTheServicesOwnProvider: the documented way to have
// Stats with a MeterProvider the service built: a Monitor over it, with
// the in-process reader registered there, computes the figures of the
// dependencies it declares from what they record into that provider.
func TestPassiveHealthOverTheServicesOwnProvider(t *testing.T) {
	inproc, err := exporters.NewInProcess(exporters.WithCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(inproc.Reader()), sdkmetric.WithView(exporters.ExemplarView()))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	m, err := New(quiet, WithoutSystemMetrics(), WithMeterProvider(mp), WithInProcess(inproc))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Shutdown(context.Background()) }()
	d := mustDep(t, m, instrument.KindPayment, "stripe")
	ctx := context.Background()
	for i := range 10 {
		_ = d.Track(ctx, "deposit", func(context.Context) error {
			if i < 3 {
				return errors.New("502")
			}
			return nil
		})
	}
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); st.Calls != 10 || st.Failures != 3 || st.Window != defaultStatusWindow || st.At.IsZero() {
		t.Fatalf("stats %+v, want 10 calls and 3 failures over the status window", st)
	}
}
