package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/checks"
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

func TestMonitorPublishesSystemMetricsAndProbes(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	m, err := New(quiet, WithReader(reader))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) }))
	defer psp.Close()
	p, err := probes.HTTP(m.MeterProvider(), "stripe-api", psp.URL+"/health", probes.WithInterval(50*time.Millisecond), probes.WithTimeout(40*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddProbe(p); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if res, ok := m.Checks().Result("stripe-api"); ok && res.Status == checks.StatusPass {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("probe check never passed")
		}
		time.Sleep(10 * time.Millisecond)
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

	off, err := New(quiet, WithReader(sdkmetric.NewManualReader()), WithoutSystemMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer off.Shutdown(context.Background())
}
