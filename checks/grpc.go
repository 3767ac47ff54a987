package checks

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

type grpcConfig struct{ builtin }

// GRPC checks a gRPC peer by calling grpc.health.v1.Health/Check for
// service ("" asks for the server's overall health) on the service's own
// connection. SERVING passes; NOT_SERVING, SERVICE_UNKNOWN, an unknown
// service (NOT_FOUND) or an RPC error fails. The round trip is observed as
// "responseTime" in ms.
//
// The default name is "grpc" or "grpc-<service>" and the component type
// component.
func GRPC(conn grpc.ClientConnInterface, service string, opts ...Option) (*Check, error) {
	cfg := grpcConfig{builtin: newBuiltin("GRPC", defaultName("grpc", service), ComponentComponent, "responseTime")}
	cfg.latencyOK = true
	configure(&cfg, &cfg.builtin, opts)
	if cc, ok := conn.(*grpc.ClientConn); conn == nil || ok && cc == nil {
		cfg.fail("conn", "must not be nil")
	}
	client := healthpb.NewHealthClient(conn)
	warn := cfg.latencyWarn
	return cfg.build(func(ctx context.Context) error {
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
		return latency(ctx, start, warn)
	})
}
