package monitor_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/monitor"
)

// Name where metrics go, and read the same numbers in process. In
// production the exporter is usually exporters.OTLP, or nothing at all with
// OTEL_EXPORTER_OTLP_ENDPOINT set.
func ExampleWithExporters() {
	dev, err := exporters.Stdout(exporters.WithWriter(io.Discard), exporters.WithInterval(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	m, err := monitor.New(monitor.WithServiceName("wallet"), monitor.WithoutSystemMetrics(),
		monitor.WithExporters(dev), monitor.WithCardinalityLimit(500))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	bets, _ := m.MeterProvider().Meter("casino").Int64Counter("casino.bets")
	bets.Add(context.Background(), 1)

	rm, err := m.Metrics().Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == "casino" {
			fmt.Println(sm.Metrics[0].Name)
		}
	}
	// Output:
	// casino.bets
}
