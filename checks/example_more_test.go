package checks_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

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
		checks.WithComponentType(checks.ComponentGameProvider))

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

func ExampleTCP() {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // stands in for a Redis or broker port
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	c, err := checks.TCP(ln.Addr().String(), checks.WithName("redis-port"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name(), c.Run(context.Background()).Status)
	// Output: redis-port pass
}

func ExampleDNS() {
	// An IP literal resolves without a name server; in production pass
	// the provider's host name and, if needed, WithResolver.
	c, err := checks.DNS("127.0.0.1", checks.WithName("psp-dns"), checks.WithExpectedAddrs("127.0.0.1"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name(), c.Run(context.Background()).Status)
	// Output: psp-dns pass
}

func ExampleGRPC() {
	// A gRPC peer serving grpc.health.v1, here a registry of its own.
	peer := quietRegistry()
	defer peer.Shutdown(context.Background())
	_ = peer.Register("ledger", func(context.Context) error { return nil })
	hs, _ := checks.NewGRPCHealthServer(peer)
	srv := grpc.NewServer()
	hs.Register(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()
	defer hs.Shutdown()

	// The service's own connection to that peer.
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	c, err := checks.GRPC(conn, "readiness", checks.WithName("ledger-grpc"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name(), c.Run(context.Background()).Status)
	// Output: ledger-grpc pass
}

func ExampleFunc() {
	// A PSP SDK without a ping method: its cheapest authenticated call.
	balance := func(ctx context.Context) error { return nil } // stands in for psp.Balance(ctx)
	c, err := checks.Func("psp-api", balance, checks.WithComponentType(checks.ComponentPaymentProvider))
	if err != nil {
		log.Fatal(err)
	}
	o := c.Run(context.Background())
	fmt.Println(c.Name(), o.Status, o.Observation.Measurement, o.Observation.Unit)
	// Output: psp-api pass responseTime ms
}

func ExampleGoroutines() {
	c, err := checks.Goroutines(1_000_000, checks.WithGoroutinesWarn(500_000),
		checks.WithEndpoints(checks.Liveness|checks.Readiness))
	if err != nil {
		log.Fatal(err)
	}
	o := c.Run(context.Background())
	fmt.Println(c.Name(), o.Status, o.Observation.Unit)
	// Output: goroutines pass {goroutine}
}

func ExampleMemory() {
	c, err := checks.Memory(checks.WithHeapLimit(1<<40, 2<<40)) // warn above 1 TiB of heap
	if err != nil {
		log.Fatal(err)
	}
	o := c.Run(context.Background())
	fmt.Println(c.Name(), o.Status, o.Observation.Measurement)
	// Output: memory pass heapBytes
}

func ExampleDiskFree() {
	c, err := checks.DiskFree(os.TempDir(), checks.WithName("tmp-disk"), checks.WithFreeBytes(1, 0))
	if err != nil {
		log.Fatal(err)
	}
	o := c.Run(context.Background())
	fmt.Println(c.Name(), o.Status, o.Observation.Unit)
	// Output: tmp-disk pass By
}
