package probes_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/jackcode/igmon/probes"
)

// Check that a game provider's TCP port accepts connections.
func ExampleTCP() {
	provider := httptest.NewServer(http.NotFoundHandler())
	defer provider.Close()

	p, err := probes.TCP(nil, "games-tcp", provider.Listener.Addr().String(), probes.WithTimeout(2*time.Second))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	fmt.Println(r.Success, r.Reason == probes.ReasonNone)
	// Output: true true
}

// Resolve a provider's name; WithResolver would ask a chosen DNS server.
func ExampleDNS() {
	p, err := probes.DNS(nil, "psp-dns", "localhost", probes.WithIPNetwork("ip4"))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	fmt.Println(r.Success, r.Addresses[0].IsLoopback())
	// Output: true true
}

// Ask a gRPC service for its health (grpc.health.v1).
func ExampleGRPCHealth() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("wallet", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	defer srv.Stop()

	p, err := probes.GRPCHealth(nil, "wallet-grpc", ln.Addr().String(), probes.WithGRPCService("wallet"))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	fmt.Println(r.Success, healthpb.HealthCheckResponse_ServingStatus(r.StatusCode))
	// Output: true SERVING
}

// Schedule several probes with jitter and at most two runs at a time.
func ExampleRunner() {
	psp := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer psp.Close()

	runner, err := probes.NewRunner(probes.WithConcurrency(2))
	if err != nil {
		panic(err)
	}
	httpProbe, _ := probes.HTTP(nil, "psp-http", psp.URL, probes.WithInterval(50*time.Millisecond), probes.WithTimeout(time.Second/50))
	tcpProbe, _ := probes.TCP(nil, "psp-tcp", psp.Listener.Addr().String(), probes.WithInterval(50*time.Millisecond), probes.WithTimeout(time.Second/50))
	defer httpProbe.Close()
	defer tcpProbe.Close()
	if err := runner.Add(httpProbe, tcpProbe); err != nil {
		panic(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		panic(err)
	}
	defer runner.Stop() // waits for the runner's goroutines

	for _, p := range runner.Probes() {
		fmt.Println(p.Name(), p.Kind(), p.Interval())
	}
	// Output:
	// psp-http http 50ms
	// psp-tcp tcp 50ms
}
