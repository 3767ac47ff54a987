package grpccheck_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/grpccheck"
	"github.com/jackcode/igmon/checks/grpchealth"
)

func ExampleHealth() {
	// A gRPC peer serving grpc.health.v1, here a registry of its own.
	peer, _ := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)))
	defer peer.Shutdown(context.Background())
	_ = peer.Register("ledger", func(context.Context) error { return nil })
	srv := grpc.NewServer()
	stopHealth, _ := grpchealth.Register(srv, peer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()
	defer stopHealth()

	// The service's own connection to that peer.
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	c, err := grpccheck.Health(conn, "readiness", checks.WithName("ledger-grpc"))
	if err != nil {
		log.Fatal(err)
	}
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(c)
	res := reg.Evaluate(context.Background(), checks.Readiness).Results[0] // runs c, which never ran
	fmt.Println(res.Name, res.Status)
	// Output: ledger-grpc pass
}
