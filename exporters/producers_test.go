package exporters

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// fixedProducer hands every reader one precomputed gauge.
type fixedProducer struct{ name string }

func (p fixedProducer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	return []metricdata.ScopeMetrics{{
		Scope: instrumentation.Scope{Name: "test"},
		Metrics: []metricdata.Metrics{{
			Name: p.name,
			Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Value: 7}}},
		}},
	}}, nil
}

// captureExporter keeps the names of the metrics it was last given.
type captureExporter struct {
	stubExporter
	mu    sync.Mutex
	names []string
}

func (c *captureExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	c.mu.Lock()
	c.names = metricNames(*rm)
	c.mu.Unlock()
	return nil
}

func metricNames(rm metricdata.ResourceMetrics) []string {
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out = append(out, m.Name)
		}
	}
	return out
}

func containsName(names []string, want string) bool {
	for _, n := range names {
		if n == want {
			return true
		}
	}
	return false
}

func TestInProcessWithProducers(t *testing.T) {
	p, err := NewInProcess(WithProducers(fixedProducer{"a"}, fixedProducer{"b"}), WithCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.Reader()))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	c, _ := mp.Meter("t").Int64Counter("own")
	c.Add(context.Background(), 1)
	rm, err := p.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names := metricNames(rm)
	for _, want := range []string{"own", "a", "b"} {
		if !containsName(names, want) {
			t.Errorf("collected %v, missing %q", names, want)
		}
	}
}

func TestPipelineWithProducers(t *testing.T) {
	capt := &captureExporter{}
	e, err := NewPush("capture", capt, WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pull, err := NewPull("pull", sdkmetric.NewManualReader())
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline([]*Exporter{e, pull}, WithLogger(slog.New(&logRecorder{})), WithProducers(fixedProducer{"produced"}))
	if err != nil {
		t.Fatal(err)
	}
	var opts []sdkmetric.Option
	for _, r := range p.Readers() {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	mp := sdkmetric.NewMeterProvider(opts...)
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	if err := mp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	capt.mu.Lock()
	names := capt.names
	capt.mu.Unlock()
	if !containsName(names, "produced") {
		t.Errorf("push exporter got %v, want the produced metric", names)
	}
	// A pull exporter's reader is its own: the pipeline cannot add to it.
	var rm metricdata.ResourceMetrics
	if err := p.Readers()[1].Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if containsName(metricNames(rm), "produced") {
		t.Error("the pull exporter's own reader was changed")
	}
}

func TestWithProducersNil(t *testing.T) {
	opt := WithProducers(fixedProducer{"a"}, nil)
	_, err := NewInProcess(opt)
	if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "WithProducers: producer 1 is nil") {
		t.Errorf("NewInProcess: %v", err)
	}
	_, err = NewPipeline(nil, opt)
	if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "WithProducers: producer 1 is nil") {
		t.Errorf("NewPipeline: %v", err)
	}
}
