package monitor_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/monitor"
)

func Example() {
	m, err := monitor.New(
		monitor.WithServiceName("wallet"),
		monitor.WithServiceVersion("1.4.2"),
		monitor.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_ = m.Checks().Register("postgres", func(ctx context.Context) error { return nil /* db.PingContext(ctx) */ },
		checks.WithComponentType("datastore"), checks.WithTimeout(2*time.Second))
	_ = m.Start(ctx)
	defer m.Shutdown(ctx)

	mux := http.NewServeMux()
	mux.Handle("/", m.Handler()) // /livez /readyz /startupz /healthz

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 ok
}

// A service that builds its own MeterProvider keeps in-process alerting by
// registering the Monitor's in-process reader with it.
func ExampleWithInProcess() {
	inproc, err := exporters.NewInProcess()
	if err != nil {
		panic(err)
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(inproc.Reader()),
		sdkmetric.WithView(exporters.ExemplarView()),
		// ... the service's own readers and exporters
	)
	defer mp.Shutdown(context.Background())

	m, err := monitor.New(
		monitor.WithServiceName("wallet"),
		monitor.WithLogger(slog.New(slog.DiscardHandler)),
		monitor.WithMeterProvider(mp),
		monitor.WithInProcess(inproc),
	)
	if err != nil {
		panic(err)
	}
	defer m.Shutdown(context.Background())
	_, err = m.Metrics().Collect(context.Background())
	fmt.Println("in-process reader registered:", err == nil)
	// Output: in-process reader registered: true
}
