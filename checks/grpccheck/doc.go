// Package grpccheck checks a gRPC peer through the standard
// grpc.health.v1.Health service, as a [checks.Check] for a
// [checks.Registry].
//
// It lives outside package checks so that a program that only registers
// checks and serves /readyz links neither gRPC nor protobuf; import it when
// the service already talks gRPC. Its check takes a
// [checks.RoundTripOption]: every [checks.Option], [checks.WithName] and
// [checks.WithLatencyWarn], like checks.SQL.
package grpccheck
