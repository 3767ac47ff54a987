package checks_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jackcode/igmon/checks"
)

func Example() {
	reg, err := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	defer reg.Shutdown(context.Background())

	// A datastore that readiness depends on.
	_ = reg.Register("postgres", func(ctx context.Context) error { return nil },
		checks.WithComponentType(checks.ComponentDatastore), checks.WithTimeout(2*time.Second))
	// A payment provider that is slow: degraded, still serving.
	_ = reg.Register("stripe", func(ctx context.Context) error {
		checks.Observe(ctx, "responseTime", 950, "ms")
		return checks.Warnf("p95 latency 950ms above 800ms")
	}, checks.WithComponentType(checks.ComponentPaymentProvider))

	h := reg.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil))
	fmt.Print(rec.Code, "\n", rec.Body)
	// Output:
	// 200
	// [+]postgres ok
	// [!]stripe warn: reason withheld
	// readyz check passed
}

func ExampleRegistry_Drain() {
	reg, _ := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)), checks.WithDrainDelay(10*time.Millisecond))
	_ = reg.Register("ping", func(context.Context) error { return nil }, checks.WithEndpoints(checks.Liveness|checks.Readiness))
	ctx := context.Background()
	_ = reg.Start(ctx)

	go func() { _ = reg.Drain(ctx) }()
	<-reg.DrainStarted()
	fmt.Println("ready:", reg.Status(ctx, checks.Readiness))
	fmt.Println("live:", reg.Status(ctx, checks.Liveness))
	_ = reg.Shutdown(ctx)
	// Output:
	// ready: fail
	// live: pass
}

func ExampleWarn() {
	c, _ := checks.NewCheck("kyc", func(ctx context.Context) error {
		return checks.Warn(errors.New("vendor queue at 80%"))
	}, checks.WithComponentType(checks.ComponentKYC))
	fmt.Println(c.Run(context.Background()).Status)
	// Output: warn
}

func ExampleBearerToken() {
	reg, _ := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)))
	_ = reg.Register("db", func(context.Context) error {
		return errors.New("dial postgres://app:hunter2@db:5432: connection refused")
	})
	h := reg.Handler(checks.WithAuthorizer(checks.BearerToken("ops-token")))

	req := httptest.NewRequest(http.MethodGet, "/readyz/db", nil)
	req.Header.Set("Authorization", "Bearer ops-token")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output: 503 failed: dial postgres://REDACTED@db:5432: connection refused
}
