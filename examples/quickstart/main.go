// Command quickstart is the smallest useful igmon service: an HTTP API with
// a few health checks, the standard health endpoints, and the same health
// served as grpc.health.v1 for gRPC clients and Kubernetes grpc probes.
//
//	go run ./examples/quickstart
//	curl -s localhost:8080/readyz?verbose
//	grpc-health-probe -addr 127.0.0.1:9090 -service readiness
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/grpchealth"
	"github.com/jackcode/igmon/monitor"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	grpcAddr := flag.String("grpc-addr", "127.0.0.1:9090", "listen address of the grpc.health.v1 service (empty: off)")
	token := flag.String("health-token", os.Getenv("IGMON_HEALTH_TOKEN"), "bearer token that unlocks health details")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *grpcAddr, *token, logger); err != nil {
		logger.Error("quickstart failed", "error", err)
		os.Exit(1)
	}
}

func run(addr, grpcAddr, token string, logger *slog.Logger) error {
	opts := []monitor.Option{
		monitor.WithServiceName("quickstart"),
		monitor.WithServiceVersion("0.1.0"),
		monitor.WithLogger(logger),
		monitor.WithRegistryOptions(checks.WithDrainDelay(2 * time.Second)),
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
	if err := m.Checks().Register("wallet-db", func(ctx context.Context) error {
		if dbDown.Load() {
			return errors.New("dial tcp 10.0.0.5:5432: connection refused")
		}
		return nil
	}, checks.WithComponentType("datastore"), checks.WithTimeout(time.Second)); err != nil {
		return err
	}
	// The Go runtime itself, for liveness: a goroutine explosion means the
	// process is wedged.
	goroutines, err := checks.Goroutines(5000, 10000,
		checks.WithEndpoints(checks.Liveness|checks.Readiness), checks.WithInterval(5*time.Second))
	if err != nil {
		return err
	}
	if err := m.Add(goroutines); err != nil {
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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	// The listener's address, not the flag: -addr :8080 must print a URL
	// that opens (an unspecified host is reachable on 127.0.0.1).
	url := "http://" + ln.Addr().String()
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil && ap.Addr().Unmap().IsUnspecified() {
		url = "http://" + netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), ap.Port()).String()
	}
	logger.Info("quickstart listening", "url", url+"/readyz?verbose")

	// The same registry as grpc.health.v1: "" and "readiness", "liveness",
	// "startup", and each check by name.
	var gsrv *grpc.Server
	stopHealth := func() {}
	if grpcAddr != "" {
		lis, err := net.Listen("tcp", grpcAddr)
		if err != nil {
			return errors.Join(err, srv.Close())
		}
		gsrv = grpc.NewServer()
		if stopHealth, err = grpchealth.Register(gsrv, m.Checks()); err != nil {
			return errors.Join(err, lis.Close(), srv.Close())
		}
		go func() { errc <- gsrv.Serve(lis) }()
		logger.Info("quickstart gRPC health listening", "addr", grpcAddr)
	}

	select {
	case err := <-errc:
		stopGRPC(gsrv, stopHealth, time.Second)
		return errors.Join(err, srv.Close())
	case <-ctx.Done():
	}
	// Readiness fails first and stays failed through the drain delay, so a
	// load balancer stops sending traffic before the server closes. The
	// drain also ends every gRPC Watch stream with NOT_SERVING, so the
	// graceful stop below is not held up by them.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = m.Shutdown(sctx)
	stopGRPC(gsrv, stopHealth, 5*time.Second)
	return errors.Join(err, srv.Shutdown(sctx))
}

// stopGRPC stops the gRPC server gracefully, forcing it after grace.
func stopGRPC(gsrv *grpc.Server, stopHealth func(), grace time.Duration) {
	if gsrv == nil {
		return
	}
	stopHealth()
	done := make(chan struct{})
	go func() {
		gsrv.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		gsrv.Stop()
		<-done
	}
}
