package grpccheck

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/grpctest"
)

func TestHealthFollowsThePeer(t *testing.T) {
	hs := health.NewServer()
	srv, conn := grpctest.Peer(t, func(s *grpc.Server) { healthpb.RegisterHealthServer(s, hs) })
	hs.SetServingStatus("games.v1.Lobby", healthpb.HealthCheckResponse_SERVING)

	c, err := Health(conn, "games.v1.Lobby")
	c = checkstest.Built(t, c, err)
	if c.Name() != "grpc-games.v1.Lobby" {
		t.Errorf("name = %q", c.Name())
	}
	if checkstest.SettingsOf(c).ComponentType != "component" {
		t.Errorf("component = %q", checkstest.SettingsOf(c).ComponentType)
	}
	o := checkstest.RunOnce(t, c)
	checkstest.WantOutcome(t, o, checks.StatusPass, nil)
	if o.Observation == nil || o.Observation.Measurement != "responseTime" {
		t.Errorf("observation = %+v", o.Observation)
	}

	// The peer switches status: the same check follows it.
	hs.SetServingStatus("games.v1.Lobby", healthpb.HealthCheckResponse_NOT_SERVING)
	checkstest.WantOutcome(t, checkstest.RunOnce(t, c), checks.StatusFail, ErrNotServing)
	hs.SetServingStatus("games.v1.Lobby", healthpb.HealthCheckResponse_SERVING)
	checkstest.WantOutcome(t, checkstest.RunOnce(t, c), checks.StatusPass, nil)

	overall, err := Health(conn, "", checks.WithLatencyWarn(time.Nanosecond))
	overall = checkstest.Built(t, overall, err)
	if overall.Name() != "grpc" {
		t.Errorf("overall name = %q, want grpc", overall.Name())
	}
	checkstest.WantOutcome(t, checkstest.RunOnce(t, overall), checks.StatusWarn, checks.ErrSlowResponse)

	unknown, err := Health(conn, "nope.v1.Nothing")
	checkstest.WantOutcome(t, checkstest.RunOnce(t, checkstest.Built(t, unknown, err)), checks.StatusFail, ErrNotServing)

	// The peer goes away.
	srv.Stop()
	checkstest.WantOutcome(t, checkstest.RunOnce(t, c), checks.StatusFail, nil)
}

func TestHealthFailsOnAPeerWithoutTheHealthService(t *testing.T) {
	_, conn := grpctest.Peer(t, func(*grpc.Server) {})
	c, err := Health(conn, "")
	checkstest.WantOutcome(t, checkstest.RunOnce(t, checkstest.Built(t, c, err)), checks.StatusFail, nil)
}

func TestHealthOptions(t *testing.T) {
	_, conn := grpctest.Peer(t, func(*grpc.Server) {})
	c, err := Health(conn, "ledger", checks.WithName("ledger-grpc"), checks.WithEndpoints(checks.Liveness), checks.WithTimeout(2*time.Second))
	c = checkstest.Built(t, c, err)
	if c.Name() != "ledger-grpc" || checkstest.SettingsOf(c).Endpoints != checks.Liveness || checkstest.SettingsOf(c).Timeout != 2*time.Second {
		t.Errorf("check = %q %v %v, want ledger-grpc liveness 2s", c.Name(), checkstest.SettingsOf(c).Endpoints, checkstest.SettingsOf(c).Timeout)
	}
}

func TestHealthConstructorErrors(t *testing.T) {
	var nilConn *grpc.ClientConn
	_, conn := grpctest.Peer(t, func(*grpc.Server) {})
	tests := []struct {
		name  string
		build func() (*checks.Check, error)
		want  string
	}{
		{"nil conn", func() (*checks.Check, error) { return Health(nil, "") }, "conn: must not be nil"},
		{"typed nil conn", func() (*checks.Check, error) { return Health(nilConn, "") }, "conn: must not be nil"},
		{"bad latency", func() (*checks.Check, error) { return Health(conn, "", checks.WithLatencyWarn(0)) }, "WithLatencyWarn: 0s must be positive"},
		{"bad name", func() (*checks.Check, error) { return Health(conn, "", checks.WithName("a b")) }, `"a b": name`},
		{"common option validated", func() (*checks.Check, error) { return Health(conn, "", checks.WithTimeout(0)) }, "timeout"},
		// A repeated single-valued option fails naming it; a misplaced one
		// (a hostcheck option) does not compile.
		{"name twice", func() (*checks.Check, error) {
			return Health(conn, "", checks.WithName("a"), checks.WithName("b"))
		}, "WithName: given twice"},
		{"latency twice", func() (*checks.Check, error) {
			return Health(conn, "", checks.WithLatencyWarn(time.Second), checks.WithLatencyWarn(time.Minute))
		}, "WithLatencyWarn: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			if err == nil || c != nil {
				t.Fatalf("got (%v, %v), want an error containing %q", c, err, tt.want)
			}
			if !errors.Is(err, checks.ErrInvalidCheck) {
				t.Errorf("error %v does not wrap ErrInvalidCheck", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// BenchmarkHealth reports the check's cost over the bare health RPC
// against the same real peer, both under a per-call deadline.
func BenchmarkHealth(b *testing.B) {
	hs := health.NewServer()
	_, conn := grpctest.Peer(b, func(s *grpc.Server) { healthpb.RegisterHealthServer(s, hs) })
	client := healthpb.NewHealthClient(conn)
	ctx := context.Background()
	var bareNs float64
	b.Run("bare-deadline", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			_, err := client.Check(cctx, &healthpb.HealthCheckRequest{})
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		bareNs = float64(b.Elapsed().Nanoseconds()) / float64(n)
	})
	c, err := Health(conn, "")
	c = checkstest.Built(b, c, err)
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if o := checkstest.Run(ctx, c); o.Status != checks.StatusPass {
				b.Fatal(o.Err)
			}
			n++
		}
		if bareNs > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/bareNs, "x-bare")
		}
	})
}
