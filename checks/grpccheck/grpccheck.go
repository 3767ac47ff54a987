package grpccheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/internal/ext"
)

// ErrNotServing is reported by [Health] when the peer answers with a status
// other than SERVING, or does not know the service.
var ErrNotServing = errors.New("gRPC service not serving")

// Health checks a gRPC peer by calling grpc.health.v1.Health/Check for
// service ("" asks for the server's overall health) on the service's own
// connection. SERVING passes; NOT_SERVING, SERVICE_UNKNOWN, an unknown
// service (NOT_FOUND) or an RPC error fails. The round trip is observed as
// "responseTime" in ms.
//
// The default name is "grpc" or "grpc-<service>" and the component type
// component.
func Health(conn grpc.ClientConnInterface, service string, opts ...checks.RoundTripOption) (*checks.Check, error) {
	b := ext.NewBuilder("grpccheck.Health", ext.DefaultName("grpc", service), "component", "responseTime")
	ext.Configure(b, &struct{}{}, opts)
	if cc, ok := conn.(*grpc.ClientConn); conn == nil || ok && cc == nil {
		b.Fail("conn", "must not be nil")
	}
	if b.Failed() {
		return ext.Build[*checks.Check](b, nil)
	}
	client := healthpb.NewHealthClient(conn)
	warn := b.LatencyWarn()
	return ext.Build[*checks.Check](b, func(ctx context.Context) error {
		start := time.Now()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			if status.Code(err) == codes.NotFound {
				return fmt.Errorf("%w: service %q is unknown to the peer", ErrNotServing, service)
			}
			return fmt.Errorf("grpc health: %w", err)
		}
		if st := resp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%w: service %q is %v", ErrNotServing, service, st)
		}
		return ext.Latency(ctx, start, warn)
	})
}
