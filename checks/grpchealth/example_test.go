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

func ExampleRegister() {
	reg, _ := checks.NewRegistry()
	_ = reg.Register("wallet-db", func(ctx context.Context) error { return nil })

	srv := grpc.NewServer()
	// grpc.health.v1.Health: "", readiness, liveness, startup, wallet-db
	stopHealth, err := grpchealth.Register(srv, reg)
	if err != nil {
		log.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(lis)

	// On shutdown: drain (Watch streams end with NOT_SERVING), then stop.
	_ = reg.Drain(context.Background())
	stopHealth()
	srv.GracefulStop()
	fmt.Println("stopped")
	// Output: stopped
}
