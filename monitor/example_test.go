package monitor_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jackcode/igmon/checks"
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
	_ = m.Register("postgres", func(ctx context.Context) error { return nil /* db.PingContext(ctx) */ },
		checks.WithComponentType(checks.ComponentDatastore), checks.WithTimeout(2*time.Second))
	_ = m.Start(ctx)
	defer m.Shutdown(ctx)

	mux := http.NewServeMux()
	mux.Handle("/", m.Handler()) // /livez /readyz /startupz /healthz

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 ok
}
