package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/probes"
)

func collectedNames(t *testing.T, r *sdkmetric.ManualReader) map[string]bool {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names[m.Name] = true
		}
	}
	return names
}

// TestMonitorPublishesSystemMetricsAndProbes: a Monitor publishes the
// host, process and runtime metrics and its synthetic probes' metrics and
// check status; WithoutSystemMetrics builds one without them.
//
// The Monitor runs in a synctest bubble, the probe's target on loopback
// outside it (see TestProbeEventsStartStreakRecovery).
func TestMonitorPublishesSystemMetricsAndProbes(t *testing.T) {
	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) }))
	defer psp.Close()
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Second
		reader := sdkmetric.NewManualReader()
		m, err := New(quiet, withReader(t, reader))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Shutdown(context.Background())

		p, err := probes.HTTP(m.MeterProvider(), "stripe-api", psp.URL+"/health", probes.WithInterval(interval), probes.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.AddProbe(p, checks.WithJitter(0), checks.WithInitialDelay(interval)); err != nil {
			t.Fatal(err)
		}
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Two runs: the probe's success threshold.
		time.Sleep(2 * interval)
		synctest.Wait()
		if res, ok := m.Checks().Result("stripe-api"); !ok || res.Status != checks.StatusPass {
			t.Fatalf("probe check after two passing runs: %+v, want pass", res)
		}
		names := collectedNames(t, reader)
		for _, want := range []string{"system.cpu.time", "system.memory.usage", "process.memory.usage", "go.goroutine.count", "igmon.probe.duration", igsemconv.MetricCheckStatus} {
			if !names[want] {
				t.Errorf("missing %s", want)
			}
		}
		if len(m.syntheticProbes()) != 1 {
			t.Fatalf("Probes() = %d", len(m.syntheticProbes()))
		}

		offReader := sdkmetric.NewManualReader()
		off, err := New(quiet, withReader(t, offReader), WithoutSystemMetrics())
		if err != nil {
			t.Fatal(err)
		}
		defer off.Shutdown(context.Background())
		if names := collectedNames(t, offReader); names["system.cpu.time"] {
			t.Error("WithoutSystemMetrics still publishes system.cpu.time")
		}
	})
}

// TestAddProbeTakesWhatProbeCheckTakes: AddProbe's options are the probe
// check's, so checks.WithInterval and checks.WithTimeout (the probe's own
// interval and timeout rule) do not compile there either.
func TestAddProbeTakesWhatProbeCheckTakes(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  any
		want bool
	}{
		{"WithInterval", checks.WithInterval, false},
		{"WithTimeout", checks.WithTimeout, false},
		{"WithName", checks.WithName, false},
		{"WithCritical", checks.WithCritical, true},
		{"WithEndpoints", checks.WithEndpoints, true},
		{"WithThresholds", checks.WithThresholds, true},
	} {
		if static, dynamic := checkstest.OptionCompiles((*Monitor).AddProbe, tt.opt); static != tt.want || dynamic != tt.want {
			t.Errorf("AddProbe(p, checks.%s(...)) compiles: %v (value: %v), want %v", tt.name, static, dynamic, tt.want)
		}
	}
}
