package grpchealth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/grpctest"
)

const (
	grpcServing    = healthpb.HealthCheckResponse_SERVING
	grpcNotServing = healthpb.HealthCheckResponse_NOT_SERVING
	grpcSvcUnknown = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

type healthFixture struct {
	reg    *checks.Registry
	clk    *clock.Fake
	hs     *server
	srv    *grpc.Server
	client healthpb.HealthClient
	dbDown atomic.Bool
}

// newHealthFixture serves a registry with a readiness datastore check
// ("wallet-db"), a liveness check ("goroutines") and a startup check
// ("warmup") as grpc.health.v1 on a real server on loopback.
func newHealthFixture(t *testing.T, opts ...Option) *healthFixture {
	t.Helper()
	f := &healthFixture{clk: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	reg, err := checks.NewRegistry(checkstest.WithClock(f.clk), checks.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	f.reg = reg
	add := func(name string, fn func(context.Context) error, o ...checks.Option) {
		t.Helper()
		if err := reg.Register(name, fn, o...); err != nil {
			t.Fatal(err)
		}
	}
	add("wallet-db", func(context.Context) error {
		if f.dbDown.Load() {
			return errors.New("connection refused")
		}
		return nil
	}, checks.WithComponentType("datastore"), checks.WithOnRequest(time.Second))
	add("goroutines", func(context.Context) error { return nil }, checks.WithEndpoints(checks.Liveness))
	add("warmup", func(context.Context) error { return nil }, checks.WithEndpoints(checks.Startup))
	add("bonus-engine", func(context.Context) error { return errors.New("down") }, checks.WithCritical(false))

	hs, err := newServer(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.hs = hs
	var conn *grpc.ClientConn
	f.srv, conn = grpctest.Peer(t, func(s *grpc.Server) { hs.register(s) })
	f.client = healthpb.NewHealthClient(conn)
	t.Cleanup(func() {
		hs.shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = reg.Shutdown(ctx)
	})
	return f
}

func (f *healthFixture) check(t *testing.T, service string) (healthpb.HealthCheckResponse_ServingStatus, codes.Code) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := f.client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return 0, status.Code(err)
	}
	return resp.GetStatus(), codes.OK
}

// flip changes wallet-db and lets its cached result expire, so the next
// evaluation reruns it.
func (f *healthFixture) flip(down bool) {
	f.dbDown.Store(down)
	f.clk.Advance(2 * time.Second) // wallet-db's on-request TTL is 1s
}

func TestGRPCHealthCheck(t *testing.T) {
	f := newHealthFixture(t)
	tests := []struct {
		service string
		want    healthpb.HealthCheckResponse_ServingStatus
		code    codes.Code
	}{
		{"", grpcServing, codes.OK},
		{"readiness", grpcServing, codes.OK},
		{"liveness", grpcServing, codes.OK},
		{"startup", grpcServing, codes.OK},
		{"wallet-db", grpcServing, codes.OK},
		{"bonus-engine", grpcServing, codes.OK}, // non-critical failure is warn
		{"no-such-check", 0, codes.NotFound},
	}
	for _, tt := range tests {
		st, code := f.check(t, tt.service)
		if st != tt.want || code != tt.code {
			t.Errorf("Check(%q) = %v, %v; want %v, %v", tt.service, st, code, tt.want, tt.code)
		}
	}

	f.flip(true)
	for _, svc := range []string{"", "readiness", "wallet-db"} {
		if st, _ := f.check(t, svc); st != grpcNotServing {
			t.Errorf("db down: Check(%q) = %v, want NOT_SERVING", svc, st)
		}
	}
	if st, _ := f.check(t, "liveness"); st != grpcServing {
		t.Errorf("db down: liveness = %v, want SERVING (liveness has no dependencies)", st)
	}
	f.flip(false)
	if st, _ := f.check(t, ""); st != grpcServing {
		t.Errorf("db back: overall = %v, want SERVING", st)
	}
}

func TestGRPCHealthList(t *testing.T) {
	f := newHealthFixture(t)
	f.flip(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := f.client.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]healthpb.HealthCheckResponse_ServingStatus{
		"": grpcNotServing, "readiness": grpcNotServing, "liveness": grpcServing, "startup": grpcServing,
		"wallet-db": grpcNotServing, "goroutines": grpcServing, "warmup": grpcServing, "bonus-engine": grpcServing,
	}
	got := resp.GetStatuses()
	if len(got) != len(want) {
		t.Errorf("List has %d services, want %d: %v", len(got), len(want), got)
	}
	for svc, st := range want {
		if got[svc].GetStatus() != st {
			t.Errorf("List[%q] = %v, want %v", svc, got[svc].GetStatus(), st)
		}
	}
}

func TestGRPCHealthListCap(t *testing.T) {
	f := newHealthFixture(t)
	for i := range maxListServices {
		if err := f.reg.Register("c"+string(rune('a'+i/26))+string(rune('a'+i%26)), func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := f.client.List(ctx, &healthpb.HealthListRequest{})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("List over the cap: %v, want RESOURCE_EXHAUSTED", err)
	}
}

// watch opens a Watch stream and returns a receive function.
func (f *healthFixture) watch(t *testing.T, service string) (recv func() (healthpb.HealthCheckResponse_ServingStatus, error), cancel func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	stream, err := f.client.Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return func() (healthpb.HealthCheckResponse_ServingStatus, error) {
		resp, err := stream.Recv()
		return resp.GetStatus(), err
	}, cancel
}

func mustRecv(t *testing.T, recv func() (healthpb.HealthCheckResponse_ServingStatus, error), want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	got, err := recv()
	if err != nil {
		t.Fatalf("Recv: %v (want %v)", err, want)
	}
	if got != want {
		t.Fatalf("Recv = %v, want %v", got, want)
	}
}

func TestGRPCHealthWatchSendsChangesOnly(t *testing.T) {
	f := newHealthFixture(t)
	for _, svc := range []string{"", "wallet-db"} {
		t.Run("service="+svc, func(t *testing.T) {
			recv, _ := f.watch(t, svc)
			mustRecv(t, recv, grpcServing)

			// The dependency fails: the transition reaches the stream.
			f.flip(true)
			f.reg.Status(context.Background(), checks.Readiness)
			mustRecv(t, recv, grpcNotServing)

			// A transition that does not change this service's status
			// (a liveness-only check going out of service and back) is
			// not sent: the next message is the real recovery.
			if err := f.reg.Override("goroutines", checks.StatusFail, "test", "test"); err != nil {
				t.Fatal(err)
			}
			if err := f.reg.ClearOverride("goroutines", "test", "test"); err != nil {
				t.Fatal(err)
			}
			f.flip(false)
			f.reg.Status(context.Background(), checks.Readiness)
			mustRecv(t, recv, grpcServing)
		})
	}
}

func TestGRPCHealthWatchNeverBlocksTheRegistry(t *testing.T) {
	f := newHealthFixture(t)
	recv, _ := f.watch(t, "wallet-db")
	mustRecv(t, recv, grpcServing)
	// Nobody reads while the status flaps a thousand times: the registry's
	// transitions must not wait for the stream.
	for range 1000 {
		if err := f.reg.Override("wallet-db", checks.StatusFail, "flap", "test"); err != nil {
			t.Fatal(err)
		}
		if err := f.reg.ClearOverride("wallet-db", "flap", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.reg.Override("wallet-db", checks.StatusFail, "maintenance", "test"); err != nil {
		t.Fatal(err)
	}
	// The reader then sees alternating statuses, never the same twice in
	// a row, ending at the latest; intermediate flaps are coalesced.
	last, n := grpcServing, 0
	for last != grpcNotServing || n == 0 {
		got, err := recv()
		if err != nil {
			t.Fatal(err)
		}
		if got == last {
			t.Fatalf("message %d repeats %v", n, got)
		}
		last = got
		n++
		if n > 2001 {
			t.Fatal("more messages than transitions")
		}
	}
	t.Logf("1001 transitions delivered as %d messages", n)
}

func TestGRPCHealthWatchUnknownService(t *testing.T) {
	f := newHealthFixture(t)
	recv, _ := f.watch(t, "kyc-provider")
	mustRecv(t, recv, grpcSvcUnknown)
	// The check appears and its first run is a transition: the stream now
	// knows the service.
	if err := f.reg.Register("kyc-provider", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	f.reg.Status(context.Background(), checks.Readiness)
	mustRecv(t, recv, grpcServing)
}

func TestGRPCHealthWatchEndsOnDrain(t *testing.T) {
	f := newHealthFixture(t)
	services := []string{"", "liveness", "wallet-db", "no-such"}
	recvs := make([]func() (healthpb.HealthCheckResponse_ServingStatus, error), len(services))
	for i, svc := range services {
		recvs[i], _ = f.watch(t, svc)
		want := grpcServing
		if svc == "no-such" {
			want = grpcSvcUnknown
		}
		mustRecv(t, recvs[i], want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.reg.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for i, svc := range services {
		mustRecv(t, recvs[i], grpcNotServing)
		if _, err := recvs[i](); err != io.EOF {
			t.Errorf("Watch(%q) after drain: %v, want the stream to end (EOF)", svc, err)
		}
	}
	// Check while draining: everything is NOT_SERVING except liveness,
	// which must not get a draining pod restarted.
	for _, svc := range []string{"", "readiness", "startup", "wallet-db"} {
		if st, _ := f.check(t, svc); st != grpcNotServing {
			t.Errorf("draining: Check(%q) = %v, want NOT_SERVING", svc, st)
		}
	}
	if st, _ := f.check(t, "liveness"); st != grpcServing {
		t.Errorf("draining: liveness = %v, want SERVING", st)
	}
	// A new Watch gets NOT_SERVING and ends at once.
	recv, _ := f.watch(t, "")
	mustRecv(t, recv, grpcNotServing)
	if _, err := recv(); err != io.EOF {
		t.Errorf("new Watch while draining: %v, want EOF", err)
	}
	// Open streams no longer hold up a graceful stop.
	f.srv.GracefulStop()
}

func TestGRPCHealthShutdownEndsStreams(t *testing.T) {
	f := newHealthFixture(t)
	recv, _ := f.watch(t, "readiness")
	mustRecv(t, recv, grpcServing)
	f.hs.shutdown()
	f.hs.shutdown() // idempotent
	mustRecv(t, recv, grpcNotServing)
	if _, err := recv(); err != io.EOF {
		t.Errorf("after Shutdown: %v, want EOF", err)
	}
	if st, _ := f.check(t, "wallet-db"); st != grpcNotServing {
		t.Errorf("after Shutdown: Check = %v, want NOT_SERVING", st)
	}
	f.srv.GracefulStop()
}

func TestGRPCHealthWatchClientCancel(t *testing.T) {
	f := newHealthFixture(t)
	recv, cancel := f.watch(t, "")
	mustRecv(t, recv, grpcServing)
	cancel()
	if _, err := recv(); status.Code(err) != codes.Canceled {
		t.Errorf("after cancel: %v, want Canceled", err)
	}
	// The server side unregisters the stream. GracefulStop returns once
	// every handler has: no poll needed.
	f.srv.GracefulStop()
	f.hs.mu.Lock()
	n := len(f.hs.watchers)
	f.hs.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d watchers still registered after the client cancelled", n)
	}
}

func TestGRPCHealthServerOptions(t *testing.T) {
	if _, err := newServer(nil); err == nil {
		t.Error("nil registry accepted")
	}
	reg, err := checks.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newServer(reg, WithWatchInterval(0)); err == nil {
		t.Error("zero watch interval accepted")
	}
}

// TestWatchIntervalGivenTwiceFailsNamingIt: a second WithWatchInterval
// would silently replace the first, so Register refuses it, naming it.
func TestWatchIntervalGivenTwiceFailsNamingIt(t *testing.T) {
	reg, err := checks.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"WithWatchInterval", []Option{WithWatchInterval(time.Second), WithWatchInterval(time.Minute)}, "grpchealth: WithWatchInterval: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newServer(reg, tt.opts...)
			if s != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got (%v, %v), want an error containing %q", s, err, tt.want)
			}
		})
	}
}
