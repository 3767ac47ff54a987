package checks_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/jackcode/igmon/checks"
)

func quietRegistry() *checks.Registry {
	reg, err := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	return reg
}

func ExampleRegistry_Handler() {
	reg := quietRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Register("wallet-db", func(context.Context) error { return nil },
		checks.WithEndpoints(checks.Readiness))
	_ = reg.Register("bonus-engine", func(context.Context) error { return errors.New("timeout") })

	mux := http.NewServeMux()
	mux.Handle("/", reg.Handler()) // or "/livez", "/readyz", "/readyz/" ... one by one
	for _, target := range []string{
		"/readyz",                              // what a readinessProbe sees
		"/readyz?verbose&exclude=bonus-engine", // an operator skipping a known failure
		"/readyz/wallet-db",                    // one check
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		fmt.Printf("%s %d\n%s\n", target, rec.Code, rec.Body)
	}
	// Output:
	// /readyz 503
	// [-]bonus-engine failed: reason withheld
	// [+]wallet-db ok
	// readyz check failed
	//
	// /readyz?verbose&exclude=bonus-engine 200
	// [+]wallet-db ok
	// [+]bonus-engine excluded: ok
	// readyz check passed
	//
	// /readyz/wallet-db 200
	// ok
}

func ExampleRegistry_Override() {
	reg := quietRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Register("pragmatic-play", func(context.Context) error { return nil },
		checks.WithComponentType("game-provider"))

	// The provider announced maintenance: take it out of service.
	_ = reg.Override("pragmatic-play", checks.StatusFail, "provider maintenance 02:00-03:00 UTC", "ops-alice")
	res, _ := reg.Result("pragmatic-play")
	fmt.Println(res.Status, res.Override.Reason)

	_ = reg.ClearOverride("pragmatic-play", "maintenance over", "ops-alice")
	fmt.Println(reg.Status(context.Background(), checks.Readiness))
	// Output:
	// fail provider maintenance 02:00-03:00 UTC
	// pass
}

func ExampleFunc() {
	// A PSP SDK without a ping method: its cheapest authenticated call.
	balance := func(ctx context.Context) error { return nil } // stands in for psp.Balance(ctx)
	c, err := checks.Func("psp-api", balance, checks.WithComponentType("payment-provider"))
	if err != nil {
		log.Fatal(err)
	}
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(c)
	res := reg.Evaluate(context.Background(), checks.Readiness).Results[0] // runs c, which never ran
	fmt.Println(res.Name, res.Status, res.Observation.Measurement, res.Observation.Unit)
	// Output: psp-api pass responseTime ms
}

func ExampleGoroutines() {
	c, err := checks.Goroutines(500_000, 1_000_000,
		checks.WithEndpoints(checks.Liveness|checks.Readiness))
	if err != nil {
		log.Fatal(err)
	}
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(c)
	res := reg.Evaluate(context.Background(), checks.Readiness).Results[0] // runs c, which never ran
	fmt.Println(res.Name, res.Status, res.Observation.Unit)
	// Output: goroutines pass {goroutine}
}
