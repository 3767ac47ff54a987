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

	"github.com/jackcode/igmon/checks"
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
	fmt.Println(r.Success, r.Reason == "")
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

// Schedule several probes: each becomes a background check of one
// registry, which runs it on the probe's interval with its jitter.
func ExampleProbe_Check_schedule() {
	psp := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer psp.Close()

	reg, err := checks.NewRegistry()
	if err != nil {
		panic(err)
	}
	httpProbe, _ := probes.HTTP(nil, "psp-http", psp.URL, probes.WithInterval(time.Minute), probes.WithTimeout(time.Second))
	tcpProbe, _ := probes.TCP(nil, "psp-tcp", psp.Listener.Addr().String(), probes.WithInterval(time.Minute), probes.WithTimeout(time.Second))
	defer httpProbe.Close()
	defer tcpProbe.Close()
	for _, p := range []*probes.Probe{httpProbe, tcpProbe} {
		c, err := p.Check()
		if err != nil {
			panic(err)
		}
		if err := reg.Add(c); err != nil {
			panic(err)
		}
	}
	if err := reg.Start(context.Background()); err != nil {
		panic(err)
	}
	defer reg.Shutdown(context.Background()) // waits for the scheduled runs

	for _, r := range reg.Results() {
		fmt.Println(r.Name)
	}
	// Output:
	// psp-http
	// psp-tcp
}
