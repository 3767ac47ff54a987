package checks

import (
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// grpcPeer starts a real grpc.Server on loopback and returns a client
// connection to it. The server and connection are closed at cleanup.
func grpcPeer(t testing.TB, register func(*grpc.Server)) (*grpc.Server, *grpc.ClientConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	register(srv)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		<-done
	})
	return srv, conn
}

func TestGRPC(t *testing.T) {
	hs := health.NewServer()
	srv, conn := grpcPeer(t, func(s *grpc.Server) { healthpb.RegisterHealthServer(s, hs) })
	hs.SetServingStatus("games.v1.Lobby", healthpb.HealthCheckResponse_SERVING)

	c, err := GRPC(conn, "games.v1.Lobby")
	c = built(t, c, err)
	if c.Name() != "grpc-games.v1.Lobby" {
		t.Errorf("name = %q", c.Name())
	}
	o := runOnce(t, c)
	wantOutcome(t, o, StatusPass, nil)
	if o.Observation == nil || o.Observation.Measurement != "responseTime" {
		t.Errorf("observation = %+v", o.Observation)
	}

	// The peer switches status: the same check follows it.
	hs.SetServingStatus("games.v1.Lobby", healthpb.HealthCheckResponse_NOT_SERVING)
	wantOutcome(t, runOnce(t, c), StatusFail, ErrNotServing)
	hs.SetServingStatus("games.v1.Lobby", healthpb.HealthCheckResponse_SERVING)
	wantOutcome(t, runOnce(t, c), StatusPass, nil)

	overall, err := GRPC(conn, "", WithLatencyWarn(time.Nanosecond))
	wantOutcome(t, runOnce(t, built(t, overall, err)), StatusWarn, ErrSlowResponse)

	unknown, err := GRPC(conn, "nope.v1.Nothing")
	wantOutcome(t, runOnce(t, built(t, unknown, err)), StatusFail, ErrNotServing)

	// The peer goes away.
	srv.Stop()
	wantOutcome(t, runOnce(t, c), StatusFail, nil)
}

func TestGRPCUnimplemented(t *testing.T) {
	_, conn := grpcPeer(t, func(*grpc.Server) {})
	c, err := GRPC(conn, "")
	o := runOnce(t, built(t, c, err))
	wantOutcome(t, o, StatusFail, nil)
}
