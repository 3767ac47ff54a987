package probes

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestGRPCHealthProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	defer srv.Stop()
	hs.SetServingStatus("wallet", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("bonus", healthpb.HealthCheckResponse_NOT_SERVING)

	dialled, err := GRPCHealth(nil, "wallet", ln.Addr().String(), WithGRPCService("wallet"))
	if err != nil {
		t.Fatal(err)
	}
	defer dialled.Close()
	if r := dialled.Run(context.Background()); !r.Success || r.StatusCode != int(healthpb.HealthCheckResponse_SERVING) {
		t.Errorf("serving: %+v", r)
	}

	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tests := []struct {
		service string
		want    failureReason
	}{
		{"wallet", reasonNone},
		{"bonus", reasonGRPCStatus},
		{"unknown", reasonGRPCStatus}, // NotFound
	}
	for _, tt := range tests {
		p, err := GRPCHealth(nil, "svc-"+tt.service, "", WithGRPCConn(conn), WithGRPCService(tt.service))
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Run(context.Background()); r.Reason != tt.want {
			t.Errorf("%s: reason %q (%s), want %q", tt.service, r.Reason, r.Error, tt.want)
		}
		p.Close() // must not close the caller's conn
	}
	if r := dialled.Run(context.Background()); !r.Success {
		t.Errorf("after closing probes sharing a user conn: %+v", r)
	}

	down, err := GRPCHealth(nil, "down", closedAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	if r := down.Run(context.Background()); r.Reason != reasonConnect {
		t.Errorf("closed port: reason %q (%s)", r.Reason, r.Error)
	}
}
