package grpchealth_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"google.golang.org/grpc"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/grpchealth"
)

func ExampleNewServer() {
	reg, _ := checks.NewRegistry()
	_ = reg.Register("wallet-db", func(ctx context.Context) error { return nil })

	hs, err := grpchealth.NewServer(reg)
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer()
	hs.Register(srv) // grpc.health.v1.Health: "", readiness, liveness, startup, wallet-db
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(lis)

	// On shutdown: drain (Watch streams end with NOT_SERVING), then stop.
	_ = reg.Drain(context.Background())
	hs.Shutdown()
	srv.GracefulStop()
	fmt.Println("stopped")
	// Output: stopped
}
