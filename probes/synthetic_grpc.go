package probes

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// GRPCHealth returns a probe that calls grpc.health.v1.Health/Check and
// succeeds when the service is SERVING. It dials target itself (plaintext,
// or TLS with [WithTLSConfig]; more with [WithGRPCDialOptions]), or uses
// the application's connection given with [WithGRPCConn], in which case
// target is only a label and may be empty.
//
// A gRPC connection is kept between runs, so only the processing phase is
// reported; Unavailable maps to reason "connect", DeadlineExceeded to
// reason "timeout", other codes and non-SERVING answers to
// reason "grpc_status".
func GRPCHealth(mp metric.MeterProvider, name, target string, opts ...GRPCOption) (*Probe, error) {
	p, cfg, err := newProbe(mp, kindGRPC, name, target, optionsOf(opts, GRPCOption.grpcOption))
	if err != nil {
		return nil, err
	}
	g := &grpcProbe{service: cfg.grpcService, conn: cfg.grpcConn}
	if g.conn == nil {
		if target == "" {
			return nil, fmt.Errorf("%w %q (grpc): target: must not be empty without WithGRPCConn", errInvalidProbe, name)
		}
		creds := insecure.NewCredentials()
		if cfg.tlsConfig != nil {
			creds = credentials.NewTLS(cfg.tlsConfig.Clone())
		}
		dopts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, cfg.grpcDialOpts...)
		conn, err := grpc.NewClient(target, dopts...)
		if err != nil {
			return nil, fmt.Errorf("%w %q (grpc): target: %v", errInvalidProbe, name, err)
		}
		g.conn, g.own = conn, true
	}
	if p.target == "" {
		p.target = g.conn.Target()
	}
	g.client = healthpb.NewHealthClient(g.conn)
	p.impl = g
	return p, nil
}

type grpcProbe struct {
	conn    *grpc.ClientConn
	own     bool
	client  healthpb.HealthClient
	service string
}

func (g *grpcProbe) run(ctx context.Context, r *Result) error {
	start := time.Now()
	var pr peer.Peer
	resp, err := g.client.Check(ctx, &healthpb.HealthCheckRequest{Service: g.service}, grpc.Peer(&pr))
	r.Phases.Processing = time.Since(start)
	if ti, ok := pr.AuthInfo.(credentials.TLSInfo); ok {
		// The connection's certificate, so WithMinCertValidity and the
		// expiry metric work for gRPC over TLS as for HTTPS.
		r.CertExpiry = earliestExpiry(ti.State)
		r.TLSResumed = ti.State.DidResume
	}
	if err != nil {
		switch status.Code(err) {
		case codes.DeadlineExceeded:
			return &reasonError{reason: reasonTimeout, err: err}
		case codes.Unavailable:
			return &reasonError{reason: reasonConnect, err: err}
		case codes.Canceled:
			return err
		}
		return &reasonError{reason: reasonGRPCStatus, err: err}
	}
	r.StatusCode = int(resp.GetStatus())
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return failf(reasonGRPCStatus, "health status %s", resp.GetStatus())
	}
	return nil
}

func (g *grpcProbe) close() error {
	if g.own {
		return g.conn.Close()
	}
	return nil
}
