// Command quickstart is the smallest useful igmon service: an HTTP API with
// a few health checks and the standard health endpoints.
//
//	go run ./examples/quickstart
//	curl -s localhost:8080/readyz?verbose
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/monitor"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	token := flag.String("health-token", os.Getenv("IGMON_HEALTH_TOKEN"), "bearer token that unlocks health details")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *token, logger); err != nil {
		logger.Error("quickstart failed", "error", err)
		os.Exit(1)
	}
}

func run(addr, token string, logger *slog.Logger) error {
	opts := []monitor.Option{
		monitor.WithServiceName("quickstart"),
		monitor.WithServiceVersion("0.1.0"),
		monitor.WithLogger(logger),
		monitor.WithDrainDelay(2 * time.Second),
	}
	if token != "" {
		opts = append(opts, monitor.WithAuthorizer(checks.BearerToken(token)))
	}
	m, err := monitor.New(opts...)
	if err != nil {
		return err
	}

	// A stand-in for a wallet database: toggled by POST /toggle-db.
	var dbDown atomic.Bool
	if err := m.Register("wallet-db", func(ctx context.Context) error {
		if dbDown.Load() {
			return errors.New("dial tcp 10.0.0.5:5432: connection refused")
		}
		return nil
	}, checks.WithComponentType(checks.ComponentDatastore), checks.WithTimeout(time.Second)); err != nil {
		return err
	}
	// The Go runtime itself, for liveness: a goroutine explosion means the
	// process is wedged.
	if err := m.Register("goroutines", func(ctx context.Context) error {
		n := runtime.NumGoroutine()
		checks.Observe(ctx, "count", float64(n), "{goroutine}")
		if n > 10000 {
			return fmt.Errorf("%d goroutines", n)
		}
		return nil
	}, checks.WithEndpoints(checks.Liveness|checks.Readiness), checks.WithComponentType(checks.ComponentSystem),
		checks.WithInterval(5*time.Second)); err != nil {
		return err
	}

	mux := http.NewServeMux()
	health := m.Handler()
	for _, p := range []string{"/livez", "/readyz", "/startupz", "/healthz"} {
		mux.Handle(p, health)
		mux.Handle(p+"/", health)
	}
	mux.HandleFunc("GET /api/balance", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"currency":"EUR","balance":"100.00"}`)
	})
	mux.HandleFunc("POST /toggle-db", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "wallet-db down: %v\n", !dbDown.Load())
		dbDown.Store(!dbDown.Load())
	})

	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Start(ctx); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("quickstart listening", "url", "http://"+addr+"/readyz?verbose")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Readiness fails first and stays failed through the drain delay, so a
	// load balancer stops sending traffic before the server closes.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = m.Shutdown(sctx)
	return errors.Join(err, srv.Shutdown(sctx))
}
