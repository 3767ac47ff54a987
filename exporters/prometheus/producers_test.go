package prometheus

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/probes"
)

// TestScrapeScheduleDuration: with the runtime producer, a scrape carries
// go.schedule.duration as a Prometheus histogram in seconds with the
// documented buckets.
func TestScrapeScheduleDuration(t *testing.T) {
	prom, err := New(WithProducers(probes.RuntimeProducer()), WithoutTargetInfo())
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(readerOf(t, prom)))
	defer mp.Shutdown(context.Background())

	fams := scrape(t, prom.Handler())
	f := fams["go_schedule_duration_seconds"]
	if f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("go_schedule_duration_seconds missing or not a histogram; families: %v", keys(fams))
	}
	var les []float64
	for _, b := range f.GetMetric()[0].GetHistogram().GetBucket() {
		les = append(les, b.GetUpperBound())
	}
	if want := []float64{1e-6, 2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1}; !slices.Equal(les[:len(les)-1], want) {
		t.Errorf("le = %v, want %v and +Inf", les, want)
	}
}

func TestWithProducersNil(t *testing.T) {
	_, err := New(WithProducers(nil))
	if !errors.Is(err, exporters.ErrInvalidOption) || !strings.Contains(err.Error(), "WithProducers") {
		t.Errorf("err = %v", err)
	}
}
