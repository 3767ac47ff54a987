// Package grpctest starts real gRPC servers on loopback for igmon's
// tests. It is internal and test-only.
package grpctest

import (
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Peer starts a real grpc.Server on loopback, lets register add its
// services, and returns it with a client connection to it. Both are
// closed at the test's cleanup, and the server's goroutine is waited for.
func Peer(t testing.TB, register func(*grpc.Server)) (*grpc.Server, *grpc.ClientConn) {
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
