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
	if want := probes.ScheduleBounds(); !slices.Equal(les[:len(les)-1], want) {
		t.Errorf("le = %v, want %v and +Inf", les, want)
	}
}

func TestWithProducersNil(t *testing.T) {
	_, err := New(WithProducers(nil))
	if !errors.Is(err, exporters.ErrInvalidOption) || !strings.Contains(err.Error(), "WithProducers") {
		t.Errorf("err = %v", err)
	}
}
