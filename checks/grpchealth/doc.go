// Package grpchealth serves a [checks.Registry] as the standard
// grpc.health.v1.Health service, so gRPC clients, load balancers and
// Kubernetes' grpc probes see the same health as /livez and /readyz.
//
// It lives outside package checks so that a program that only registers
// checks and serves the HTTP endpoints links neither gRPC nor protobuf.
// [NewServer] takes the registry; register the server on the service's own
// *grpc.Server and call [Server.Shutdown] before stopping it.
package grpchealth
