package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	igname "github.com/jackcode/igmon/internal/name"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

// TestListenerPanicDoesNotStopDelivery: a listener that panics must neither
// crash the process (transitions are published from background loops) nor
// wedge the dispatcher so that later transitions are never delivered.
func TestListenerPanicDoesNotStopDelivery(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	r := newTestRegistry(t, WithLogger(logger))
	var mu sync.Mutex
	var panicky, steady []string
	r.Subscribe(func(tr Transition) {
		mu.Lock()
		panicky = append(panicky, tr.To.String())
		mu.Unlock()
		panic("listener bug")
	})
	r.Subscribe(func(tr Transition) {
		mu.Lock()
		steady = append(steady, tr.To.String())
		mu.Unlock()
	})
	fail := make(chan struct{})
	mustRegister(t, r, "wallet", func(context.Context) error {
		select {
		case <-fail:
			return errors.New("down")
		default:
			return nil
		}
	}, WithOnRequest(time.Nanosecond))
	ctx := context.Background()
	r.Evaluate(ctx, Readiness)
	close(fail)
	r.Evaluate(ctx, Readiness)

	// A background loop publishes too; an unrecovered panic there would
	// kill the test binary.
	ran := make(chan struct{})
	var once sync.Once
	mustRegister(t, r, "bg", func(context.Context) error { once.Do(func() { close(ran) }); return nil },
		WithInterval(time.Hour), WithTimeout(time.Second), WithJitter(0))
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-ran
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(steady) == 3 })

	mu.Lock()
	defer mu.Unlock()
	if want := []string{"pass", "fail", "pass"}; strings.Join(steady, ",") != strings.Join(want, ",") || len(panicky) != 3 {
		t.Fatalf("steady listener got %v, panicking one %v; want %v to both", steady, panicky, want)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "transition listener panicked"); n != 3 || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("want 3 logged listener panics with stacks, got %d:\n%s", n, logs.String())
	}
}

// TestShutdownCancelsInFlightRuns: Shutdown must cancel a running
// on-request check (which respects its context) instead of waiting out its
// timeout, and the cancelled run must not be recorded as a failure.
func TestShutdownCancelsInFlightRuns(t *testing.T) {
	r, err := NewRegistry(WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var startOnce sync.Once
	saw := make(chan error, 1)
	mustRegister(t, r, "psp", func(ctx context.Context) error {
		startOnce.Do(func() { close(started) })
		<-ctx.Done()
		select {
		case saw <- ctx.Err():
		default:
		}
		return ctx.Err()
	}, WithTimeout(time.Hour))
	evaluated := make(chan Report, 1)
	go func() { evaluated <- r.Evaluate(context.Background(), Readiness) }()
	<-started

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown waited out its deadline for a run it should have cancelled: %v", err)
	}
	if err := <-saw; !errors.Is(err, context.Canceled) {
		t.Fatalf("check's context ended with %v, want Canceled", err)
	}
	rep := <-evaluated
	if res, _ := r.Result("psp"); res.Status != StatusUnknown || !errors.Is(res.Err, errNotRun) {
		t.Fatalf("a run cancelled by Shutdown was recorded: %v %v", res.Status, res.Err)
	}
	if rep.Status != StatusFail {
		t.Fatalf("report %v, want fail (never ran)", rep.Status)
	}
	// Later requests neither hang nor start runs that outlive Shutdown.
	if st := r.Status(context.Background(), Readiness); st == StatusPass {
		t.Fatalf("status after Shutdown %v", st)
	}
}

// TestDrainReturnsAfterItsDelay is the timing half of drain: a short delay
// ends with nil, and ctx cancellation ends a long one with ctx's error.
func TestDrainReturnsAfterItsDelay(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Millisecond))
	if err := r.Drain(context.Background()); err != nil {
		t.Fatalf("Drain with a 1ms delay: %v", err)
	}
	if !r.isDraining() {
		t.Fatal("not draining after Drain")
	}
	// Idempotent: a second call neither panics nor reopens readiness.
	if err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Status(context.Background(), Readiness); st != StatusFail {
		t.Fatalf("readiness after Drain %v", st)
	}
}

// TestHandlerCheckNamesLikeEndpoints: a check may be named like an endpoint;
// /readyz/<that name> must answer for the check, not for the endpoint.
func TestHandlerCheckNamesLikeEndpoints(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, "livez", func(context.Context) error { return errors.New("down") })
	mustRegister(t, r, "ping", pass, WithEndpoints(Liveness|Readiness))
	h := r.Handler()
	for _, tc := range []struct {
		target string
		code   int
		body   string
	}{
		{"/readyz/livez", 503, "failed: reason withheld"}, // the check, not /livez
		{"/livez", 200, "ok"},
		{"/healthz/livez", 503, "failed"},
		{"/readyz", 503, "[-]livez failed"},
	} {
		rec := do(h, "GET", tc.target)
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.target, rec.Code, rec.Body, tc.code, tc.body)
		}
	}
	// Without such a check, /<endpoint>/<endpoint> is the inner endpoint of
	// a handler mounted under a prefix of that name.
	r2 := newTestRegistry(t)
	mustRegister(t, r2, "ping", pass, WithEndpoints(Liveness))
	if rec := do(r2.Handler(), "GET", "/readyz/livez"); rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("/readyz/livez without a check named livez: %d %q", rec.Code, rec.Body)
	}
}

// TestHandlerOddCheckNames: every name the name rule accepts is reachable at
// /readyz/<name>, and names it rejects cannot be registered.
func TestHandlerOddCheckNames(t *testing.T) {
	r := newTestRegistry(t)
	names := []string{"db.primary", "A_b-C.9", "-", "_", "...", strings.Repeat("x", igname.MaxLen)}
	for _, n := range names {
		mustRegister(t, r, n, pass)
	}
	h := r.Handler()
	for _, n := range names {
		if rec := do(h, "GET", "/readyz/"+n); rec.Code != 200 || rec.Body.String() != "ok" {
			t.Errorf("/readyz/%s: %d %q", n, rec.Code, rec.Body)
		}
		if rec := do(h, "HEAD", "/readyz/"+n); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Errorf("HEAD /readyz/%s: %d %q", n, rec.Code, rec.Body)
		}
	}
	for _, bad := range []string{".", "..", "a/b", "a b", "é", "a:b", "a%2Fb", "a\nb"} {
		if err := r.Register(bad, pass); err == nil {
			t.Errorf("Register(%q) accepted a name that is not a safe path segment", bad)
		}
	}
	for _, target := range []string{"/readyz/..", "/readyz/%2e%2e", "/readyz/a%2Fb", "/readyz/%00"} {
		if rec := do(h, "GET", target); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", target, rec.Code)
		}
	}
}

// TestHandlerVerboseAndExcludeSemantics pins the Kubernetes contract
// details that probes and humans rely on.
func TestHandlerVerboseAndExcludeSemantics(t *testing.T) {
	_, h := handlerFixture(t)
	for _, tc := range []struct {
		target string
		code   int
		body   string // exact
	}{
		// ?verbose is a presence flag, whatever its value.
		{"/livez?verbose=false", 200, "[+]ping ok\nlivez check passed\n"},
		{"/livez?verbose=0&format=text", 200, "[+]ping ok\nlivez check passed\n"},
		// Excluding every failing check makes readiness pass, and the
		// plain answer stays "ok".
		{"/readyz?exclude=postgres", 200, "ok"},
		// The exclusion is per request: the next plain probe fails again.
		{"/readyz", 503, "[+]ping ok\n[-]postgres failed: reason withheld\n[!]stripe warn: reason withheld\nreadyz check failed\n"},
		// An excluded name that matches nothing is reported, quoted and
		// with control characters neutralised.
		{"/readyz?verbose&exclude=postgres&exclude=a%0Ab%22", 200, "[+]ping ok\n[!]stripe warn: reason withheld\n[+]postgres excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"a?b?\"\nreadyz check passed\n"},
		// Excluding from /livez a check that only affects readiness is
		// not "unknown": the name exists.
		{"/livez?verbose&exclude=postgres", 200, "[+]ping ok\nlivez check passed\n"},
	} {
		rec := do(h, "GET", tc.target)
		if rec.Code != tc.code || rec.Body.String() != tc.body {
			t.Errorf("%s: %d\n%s\nwant %d\n%s", tc.target, rec.Code, rec.Body, tc.code, tc.body)
		}
	}
}

// TestHandlerHungCheckOnItsOwnPath: /readyz/<check> answers for a check
// that ignores its context within the check's timeout, on a real server,
// for GET and HEAD.
func TestHandlerHungCheckOnItsOwnPath(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := newTestRegistry(t)
	mustRegister(t, r, "psp", func(context.Context) error { <-release; return nil },
		WithTimeout(50*time.Millisecond), WithOnRequest(time.Hour))
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	client := srv.Client()
	client.Timeout = 30 * time.Second // "forever" compared with 50ms; a hang fails the test
	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, srv.URL+"/readyz/psp", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 {
			t.Fatalf("%s /readyz/psp for a hung check: %d, want 503", method, resp.StatusCode)
		}
	}
}

// TestHealthJSONKeysHaveOneColon: the draft forbids ':' inside either half
// of "component:measurement"; a measurement passed to Observe may hold one.
func TestHealthJSONKeysHaveOneColon(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, "psp", func(ctx context.Context) error {
		Observe(ctx, "latency:p95", 12, "ms")
		return nil
	})
	rec := do(r.Handler(), "GET", "/readyz", "Accept", "application/health+json")
	var doc healthDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for k := range doc.Checks {
		if strings.Count(k, ":") != 1 {
			t.Fatalf("key %q", k)
		}
	}
	if _, ok := doc.Checks["psp:latency_p95"]; !ok {
		t.Fatalf("keys %v", doc.Checks)
	}
}

// TestMetricAttributes pins the attribute sets of the registry's metrics,
// which dashboards and alert rules select on: name, component type and
// state, nothing unbounded.
func TestMetricAttributes(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	r := newTestRegistry(t, WithMeterProvider(mp))
	fail := make(chan struct{})
	mustRegister(t, r, "psp", func(context.Context) error {
		select {
		case <-fail:
			return errors.New("503 for player 4711")
		default:
			return nil
		}
	}, WithOnRequest(time.Nanosecond), WithComponentType(componentPaymentProvider))
	r.Evaluate(context.Background(), Readiness)
	close(fail)
	r.Evaluate(context.Background(), Readiness)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	attrs := func(state string) attribute.Set {
		kv := []attribute.KeyValue{attribute.String(igsemconv.AttrCheckName, "psp"), attribute.String(igsemconv.AttrComponentType, componentPaymentProvider)}
		if state != "" {
			kv = append(kv, attribute.String(igsemconv.AttrCheckState, state))
		}
		return attribute.NewSet(kv...)
	}
	var sm metricdata.ScopeMetrics
	for _, s := range rm.ScopeMetrics {
		if s.Scope.Name == scopeName {
			sm = s
		}
	}
	byName := map[string]metricdata.Metrics{}
	for _, m := range sm.Metrics {
		byName[m.Name] = m
	}
	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue()}
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: igsemconv.MetricCheckDuration, Unit: "s", Description: "Duration of health check runs, by outcome.",
		Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
			{Attributes: attrs("pass"), Count: 1}, {Attributes: attrs("fail"), Count: 1},
		}},
	}, byName[igsemconv.MetricCheckDuration], opts...)
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: igsemconv.MetricCheckTransitions, Unit: "{transition}", Description: "Health check status changes, by the new state.",
		Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: attrs("pass"), Value: 1}, {Attributes: attrs("fail"), Value: 1},
		}},
	}, byName[igsemconv.MetricCheckTransitions], metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: igsemconv.MetricCheckStatus, Unit: "1", Description: "1 for the current state of each health check, 0 for the other states.",
		Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: attrs("unknown"), Value: 0}, {Attributes: attrs("pass"), Value: 0},
			{Attributes: attrs("warn"), Value: 0}, {Attributes: attrs("fail"), Value: 1},
		}},
	}, byName[igsemconv.MetricCheckStatus], metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: igsemconv.MetricCheckAge, Unit: "s", Description: "Age of each health check's last result.",
		Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: attrs("")}}},
	}, byName[igsemconv.MetricCheckAge], opts...)
}

// TestConcurrencyBound: the checks of one request run at most
// WithConcurrency at a time, and all of them run.
func TestConcurrencyBound(t *testing.T) {
	r := newTestRegistry(t, WithConcurrency(2))
	var mu sync.Mutex
	cur, peak, ran := 0, 0, 0
	for i := range 6 {
		mustRegister(t, r, "c"+string(rune('a'+i)), func(context.Context) error {
			mu.Lock()
			cur++
			ran++
			peak = max(peak, cur)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond) // overlap the runs; without the bound all six would
			mu.Lock()
			cur--
			mu.Unlock()
			return nil
		}, WithTimeout(time.Minute))
	}
	if rep := r.Evaluate(context.Background(), Readiness); rep.Status != StatusPass {
		t.Fatalf("status %v", rep.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if ran != 6 || peak > 2 {
		t.Fatalf("%d runs with %d at once, want 6 with at most 2", ran, peak)
	}
}

// TestJitterBounds: background intervals are spread within ±f, never
// beyond, and not all equal (replicas must not probe in lock step).
func TestJitterBounds(t *testing.T) {
	d, f := time.Minute, 0.1
	lo, hi := time.Duration(float64(d)*(1-f)), time.Duration(float64(d)*(1+f))
	seen := map[time.Duration]bool{}
	for range 1000 {
		j := jittered(d, f)
		if j < lo || j > hi {
			t.Fatalf("jittered(%v, %v) = %v outside [%v, %v]", d, f, j, lo, hi)
		}
		seen[j] = true
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct intervals in 1000", len(seen))
	}
	if jittered(d, 0) != d || jittered(0, f) != 0 {
		t.Fatal("no jitter, or no initial delay, must stay exact")
	}
}
