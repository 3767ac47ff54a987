package checks_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/jackcode/igmon/checks"
)

func Example() {
	reg, err := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	defer reg.Shutdown(context.Background())

	// A datastore that readiness depends on. Like every check without
	// WithOnRequest, it runs in the background every 10s once the
	// registry is started, whether or not anyone calls /readyz.
	_ = reg.Register("postgres", func(ctx context.Context) error { return nil },
		checks.WithComponentType("datastore"), checks.WithTimeout(2*time.Second))
	// A payment provider that is slow: degraded, still serving.
	_ = reg.Register("stripe", func(ctx context.Context) error {
		checks.Observe(ctx, "responseTime", 950, "ms")
		return checks.Warn(errors.New("p95 latency 950ms above 800ms"))
	}, checks.WithComponentType("payment-provider"))
	_ = reg.Start(context.Background())

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
	}, checks.WithComponentType("kyc"))
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(c)
	res := reg.Evaluate(context.Background(), checks.Readiness).Results[0] // runs c, which never ran
	fmt.Println(res.Status)
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

func ExampleNewCheck() {
	ping := func(ctx context.Context) error { return nil } // stands in for db.PingContext
	scheduled, _ := checks.NewCheck("postgres", ping)
	slow, _ := checks.NewCheck("ledger", ping, checks.WithTimeout(30*time.Second))
	billed, _ := checks.NewCheck("kyc-vendor", ping, checks.WithOnRequest(30*time.Second))
	// postgres runs every 10s (the default) and is stale after 30s; ledger's
	// longer timeout stretches its interval to 30s (stale after 1m30s);
	// kyc-vendor runs only when an endpoint asks, at most every 30s.
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(scheduled, slow, billed)
	for _, r := range reg.Evaluate(context.Background(), checks.Readiness).Results {
		fmt.Println(r.Name, r.Status)
	}
	// Output:
	// kyc-vendor pass
	// ledger pass
	// postgres pass
}

func ExampleWithOnRequest() {
	reg, _ := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)))
	ctx := context.Background()
	defer reg.Shutdown(ctx)
	// A KYC vendor that bills per call: never run in the background, and
	// at most once per 30s however often /readyz is probed.
	var calls atomic.Int32
	_ = reg.Register("kyc-vendor", func(context.Context) error { calls.Add(1); return nil },
		checks.WithOnRequest(30*time.Second), checks.WithComponentType("kyc"))
	_ = reg.Start(ctx)
	for range 3 {
		fmt.Println(reg.Status(ctx, checks.Readiness))
	}
	fmt.Println("calls:", calls.Load())
	// Output:
	// pass
	// pass
	// pass
	// calls: 1
}
