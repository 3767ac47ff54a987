package exporters_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/exporters"
)

// Push to a collector agent on the node. Most settings usually come from
// the OTEL_EXPORTER_OTLP_* environment; options win over it.
func ExampleOTLP() {
	ctx := context.Background()
	otlp, err := exporters.OTLP(ctx,
		exporters.WithEndpoint("http://otel-agent:4317"), // http:// means plain text
		exporters.WithInterval(15*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	p, err := exporters.NewPipeline([]*exporters.Exporter{otlp})
	if err != nil {
		log.Fatal(err)
	}
	var opts []sdkmetric.Option
	for _, r := range p.Readers() {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	mp := sdkmetric.NewMeterProvider(opts...)
	p.Start()            // the export loops begin here, not in NewPipeline
	_ = p.Instrument(mp) // count the pipeline's own failures
	defer func() {
		// Shutdown flushes; bound it so a missing collector cannot hold
		// the process.
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_ = mp.Shutdown(ctx)
	}()
	fmt.Println(p.Status()[0].Name)
	// Output: otlp
}

// Read what is exported, from inside the process: this is what alert rules
// and the dashboard see.
func ExampleInProcess() {
	ctx := context.Background()
	ip, err := exporters.NewInProcess()
	if err != nil {
		log.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(ip.Reader()))
	defer mp.Shutdown(ctx)
	bets, _ := exporters.BucketAdvice(mp).Meter("casino").Int64Counter("casino.bets")
	bets.Add(ctx, 3)

	rm, err := ip.Collect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rm.ScopeMetrics[0].Metrics[0].Name)
	// Output: casino.bets
}

// Print metrics while developing.
func ExampleStdout() {
	e, err := exporters.Stdout(exporters.WithWriter(os.Stderr), exporters.WithInterval(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	p, err := exporters.NewPipeline([]*exporters.Exporter{e})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Status()[0].Name)
	_ = e.Shutdown(context.Background())
	// Output: stdout
}

// A provider built by hand gets the view the Monitor installs: exemplars
// as the SDK keeps them, without the per-collection cost of reservoirs
// that saw nothing.
func ExampleExemplarView() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(reader),
		sdkmetric.WithView(exporters.ExemplarView()),
	)
	defer mp.Shutdown(context.Background())
	calls, _ := mp.Meter("wallet").Int64Counter("igmon.dependency.calls")
	calls.Add(context.Background(), 1)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	sum := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64])
	fmt.Println(sum.DataPoints[0].Value, len(sum.DataPoints[0].Exemplars))
	// Output: 1 0
}
