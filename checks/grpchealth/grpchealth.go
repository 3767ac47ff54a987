package grpchealth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/internal/ext"
)

// The gRPC health service names that map to endpoints. The empty name
// ("the server's overall health") is readiness too. Any other name is a
// check's name; a check named like an endpoint is reachable only through
// its endpoint.
const (
	serviceLiveness  = "liveness"
	serviceReadiness = "readiness"
	serviceStartup   = "startup"
)

// defaultWatchInterval is how often an open Watch stream re-evaluates its
// service besides reacting to transitions, so that on-request checks
// ([checks.WithOnRequest]) nobody else asks about are refreshed too.
const defaultWatchInterval = 5 * time.Second

// maxListServices is the grpc.health.v1 List cap: above it List answers
// RESOURCE_EXHAUSTED.
const maxListServices = 100

// Option configures [Register].
type Option interface {
	apply(*config)
}

type config struct {
	interval time.Duration
	given    map[string]bool // options already given
	err      error
}

// optionFunc is one named option. Every option sets one value, so one
// given twice would silently replace the first: Register refuses it,
// naming it.
type optionFunc struct {
	name string
	fn   func(*config)
}

func (o optionFunc) apply(c *config) {
	if c.given[o.name] {
		c.err = fmt.Errorf("%s: given twice; the second would silently replace the first", o.name)
		return
	}
	if c.given == nil {
		c.given = map[string]bool{}
	}
	c.given[o.name] = true
	o.fn(c)
}

// WithWatchInterval sets how often an open Watch stream re-evaluates its
// service besides reacting to transitions (default 5s).
// It also picks up checks added after the stream opened.
func WithWatchInterval(d time.Duration) Option {
	return optionFunc{"WithWatchInterval", func(c *config) {
		c.interval = d
		if d <= 0 {
			c.err = fmt.Errorf("WithWatchInterval: %v must be positive", d)
		}
	}}
}

// server implements grpc.health.v1.Health over a registry; see [Register].
type server struct {
	healthpb.UnimplementedHealthServer

	reg      *checks.Registry
	interval time.Duration

	mu       sync.Mutex
	watchers map[chan struct{}]struct{}

	closeOnce sync.Once
	closed    chan struct{}
	unsub     func()
}

var _ healthpb.HealthServer = (*server)(nil)

// Register serves reg as grpc.health.v1.Health on the service's own
// *grpc.Server (any grpc.ServiceRegistrar), so gRPC clients, load balancers and
// Kubernetes' grpc probes see the same health as /livez and /readyz.
//
// Service names map to endpoints: "" and "readiness" to readiness,
// "liveness" to liveness, "startup" to startup, and every other name to the
// check of that name. pass and warn are SERVING; fail and unknown are
// NOT_SERVING. Check runs the checks that need a run like an HTTP probe does
// and answers NOT_FOUND for an unknown name.
//
// Watch sends the current status and then only changes. It learns about
// changes from the registry's transitions (and re-evaluates every
// WithWatchInterval), and never blocks the registry: a slow reader only
// ever gets the latest status. When the registry starts draining, or
// shutdown is called, every stream sends NOT_SERVING and ends, so
// grpc.Server.GracefulStop is not held up by open streams. While draining,
// Check answers NOT_SERVING for every service except "liveness", which
// keeps reporting the liveness checks so that a kubelet does not restart a
// pod that is shutting down cleanly.
//
// The server owns no goroutines; Watch runs on the stream's goroutine.
// Call the returned shutdown before grpc.Server.GracefulStop: it sets
// every service to NOT_SERVING for good, ends every Watch stream and
// unsubscribes from the registry. It is idempotent.
func Register(gs grpc.ServiceRegistrar, reg *checks.Registry, opts ...Option) (shutdown func(), err error) {
	s, err := newServer(reg, opts...)
	if err != nil {
		return nil, err
	}
	s.register(gs)
	return s.shutdown, nil
}

// newServer returns a health server for reg.
func newServer(reg *checks.Registry, opts ...Option) (*server, error) {
	if reg == nil {
		return nil, errors.New("grpchealth: registry: must not be nil")
	}
	cfg := config{interval: defaultWatchInterval}
	for _, o := range opts {
		if o == nil {
			continue
		}
		o.apply(&cfg)
		if cfg.err != nil {
			return nil, fmt.Errorf("grpchealth: %w", cfg.err)
		}
	}
	s := &server{
		reg:      reg,
		interval: cfg.interval,
		watchers: make(map[chan struct{}]struct{}),
		closed:   make(chan struct{}),
	}
	s.unsub = reg.Subscribe(func(checks.Transition) { s.wakeAll() })
	return s, nil
}

// register registers s as the grpc.health.v1.Health service of gs.
func (s *server) register(gs grpc.ServiceRegistrar) {
	healthpb.RegisterHealthServer(gs, s)
}

// shutdown sets every service to NOT_SERVING for good, ends every Watch
// stream and unsubscribes from the registry. Call it before
// grpc.Server.GracefulStop. It is idempotent.
func (s *server) shutdown() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.unsub()
	})
}

// wakeAll nudges every Watch stream to re-evaluate. It never blocks: each
// stream has a one-slot channel, and a nudge that finds the slot full is
// already covered by the pending one, which makes the stream compute the
// newest status (the stale one is never sent).
func (s *server) wakeAll() {
	s.mu.Lock()
	for ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
}

// stopping reports whether every service must read NOT_SERVING.
func (s *server) stopping() bool {
	select {
	case <-s.closed:
		return true
	case <-s.reg.DrainStarted():
		return true
	default:
		return false
	}
}

// endpointOf maps the service names reserved for endpoints.
func endpointOf(service string) (checks.Endpoint, bool) {
	switch service {
	case "", serviceReadiness:
		return checks.Readiness, true
	case serviceLiveness:
		return checks.Liveness, true
	case serviceStartup:
		return checks.Startup, true
	}
	return 0, false
}

// servingStatus evaluates service, running the checks that need a run.
func (s *server) servingStatus(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, bool) {
	ep, isEP := endpointOf(service)
	if !isEP {
		if _, ok := s.reg.Result(service); !ok {
			return healthpb.HealthCheckResponse_SERVICE_UNKNOWN, false
		}
	}
	if s.stopping() && !(isEP && ep == checks.Liveness) {
		return healthpb.HealthCheckResponse_NOT_SERVING, true
	}
	if isEP {
		return servingOf(s.reg.Status(ctx, ep)), true
	}
	st, ok := ext.Evaluate[checks.Status](ctx, s.reg, service)
	if !ok { // removed since the lookup above
		return healthpb.HealthCheckResponse_SERVICE_UNKNOWN, false
	}
	return servingOf(st), true
}

func servingOf(st checks.Status) healthpb.HealthCheckResponse_ServingStatus {
	if st == checks.StatusPass || st == checks.StatusWarn {
		return healthpb.HealthCheckResponse_SERVING
	}
	return healthpb.HealthCheckResponse_NOT_SERVING
}

// Check implements grpc.health.v1.Health/Check.
func (s *server) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	st, ok := s.servingStatus(ctx, req.GetService())
	if !ok {
		return nil, status.Error(codes.NotFound, "unknown service")
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// List implements grpc.health.v1.Health/List: the endpoints and every
// check, evaluated once (a non-atomic snapshot, as the protocol allows).
// More than 100 services answer RESOURCE_EXHAUSTED.
func (s *server) List(ctx context.Context, _ *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	nChecks := len(s.reg.Results())
	if n := nChecks + 4; n > maxListServices {
		return nil, status.Errorf(codes.ResourceExhausted, "%d services exceed the List maximum of %d", n, maxListServices)
	}
	out := make(map[string]*healthpb.HealthCheckResponse, nChecks+4)
	for _, svc := range []string{"", serviceLiveness, serviceReadiness, serviceStartup} {
		st, _ := s.servingStatus(ctx, svc)
		out[svc] = &healthpb.HealthCheckResponse{Status: st}
	}
	// The endpoint evaluations above refreshed every stale check.
	stopping := s.stopping()
	for _, res := range s.reg.Results() {
		if _, taken := out[res.Name]; taken {
			continue
		}
		st := servingOf(res.Status)
		if stopping {
			st = healthpb.HealthCheckResponse_NOT_SERVING
		}
		out[res.Name] = &healthpb.HealthCheckResponse{Status: st}
	}
	return &healthpb.HealthListResponse{Statuses: out}, nil
}

// Watch implements grpc.health.v1.Health/Watch. It sends the current status
// at once, then every change; an unknown service is SERVICE_UNKNOWN until a
// check of that name appears. The stream ends, after sending NOT_SERVING,
// when the registry drains or the server shuts down.
func (s *server) Watch(req *healthpb.HealthCheckRequest, stream grpc.ServerStreamingServer[healthpb.HealthCheckResponse]) error {
	service := req.GetService()
	ctx := stream.Context()
	wake := make(chan struct{}, 1)
	s.mu.Lock()
	s.watchers[wake] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.watchers, wake)
		s.mu.Unlock()
	}()
	tick := time.NewTicker(s.interval)
	defer tick.Stop()

	last := healthpb.HealthCheckResponse_ServingStatus(-1)
	send := func(st healthpb.HealthCheckResponse_ServingStatus) error {
		if st == last {
			return nil
		}
		last = st
		return stream.Send(&healthpb.HealthCheckResponse{Status: st})
	}
	for {
		if s.stopping() {
			if err := send(healthpb.HealthCheckResponse_NOT_SERVING); err != nil {
				return err
			}
			return nil
		}
		st, _ := s.servingStatus(ctx, service)
		if s.stopping() {
			continue // drained while evaluating: end with NOT_SERVING
		}
		if err := send(st); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-wake:
		case <-tick.C:
		case <-s.reg.DrainStarted():
		case <-s.closed:
		}
	}
}
