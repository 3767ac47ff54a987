package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	igname "github.com/jackcode/igmon/internal/name"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/internal/clock"
)

func pass(context.Context) error { return nil }

func newTestRegistry(t *testing.T, opts ...RegistryOption) *Registry {
	t.Helper()
	// A quiet logger unless the test brings its own.
	if !slices.ContainsFunc(opts, func(o RegistryOption) bool { ro, ok := o.(registryOption); return ok && ro.name == "WithLogger" }) {
		opts = append([]RegistryOption{WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	}
	r, err := NewRegistry(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return r
}

func mustRegister(t *testing.T, r *Registry, name string, fn checkFunc, opts ...Option) {
	t.Helper()
	if err := r.Register(name, fn, opts...); err != nil {
		t.Fatal(err)
	}
}

func TestNewCheckValidation(t *testing.T) {
	tests := []struct {
		name      string
		checkName string
		fn        checkFunc
		opts      []Option
		wantField string
	}{
		{"empty name", "", pass, nil, `"": name`},
		{"bad char", "a b", pass, nil, `"a b": name`},
		{"colon", "db:ping", pass, nil, `"db:ping": name`},
		{"slash", "db/ping", pass, nil, `"db/ping": name`},
		{"too long", strings.Repeat("x", igname.MaxLen+1), pass, nil, "name: 65 bytes is longer than 64"},
		{"nil func", "db", nil, nil, `"db": func`},
		{"tiny timeout", "db", pass, []Option{WithTimeout(10)}, `"db": timeout`},
		{"negative timeout", "db", pass, []Option{WithTimeout(-time.Second)}, `"db": timeout`},
		{"interval below timeout", "db", pass, []Option{WithTimeout(2 * time.Second), WithInterval(time.Second)}, `"db": interval`},
		{"zero interval", "db", pass, []Option{WithInterval(0)}, `"db": interval`},
		{"bad thresholds", "db", pass, []Option{WithThresholds(0, 1)}, `"db": failure threshold`},
		{"bad success threshold", "db", pass, []Option{WithThresholds(1, 0)}, `"db": success threshold`},
		{"bad ttl", "db", pass, []Option{WithOnRequest(0)}, `"db": on-request ttl`},
		{"on request and interval", "db", pass, []Option{WithOnRequest(time.Second), WithInterval(time.Minute)}, `"db": interval`},
		{"on request and initial delay", "db", pass, []Option{WithInitialDelay(time.Second), WithOnRequest(time.Second)}, `"db": initial delay`},
		{"on request and stale factor", "db", pass, []Option{WithOnRequest(time.Second), withStaleFactor(2)}, `"db": stale factor`},
		{"stale after and stale factor", "db", pass, []Option{WithStaleAfter(time.Hour), withStaleFactor(2)}, `"db": stale after`},
		{"stale after not positive", "db", pass, []Option{WithStaleAfter(0)}, `"db": stale after`},
		{"stale after within one run", "db", pass, []Option{WithInterval(10 * time.Second), WithStaleAfter(12 * time.Second)}, `"db": stale after`},
		{"stale after below ttl", "db", pass, []Option{WithOnRequest(time.Minute), WithStaleAfter(time.Second)}, `"db": stale after`},
		{"bad endpoints", "db", pass, []Option{WithEndpoints(0)}, `"db": endpoints`},
		{"bad jitter", "db", pass, []Option{WithJitter(1.5)}, `"db": jitter`},
		{"empty component", "db", pass, []Option{WithComponentType("")}, `"db": component type`},
		{"stale factor", "db", pass, []Option{withStaleFactor(0)}, `"db": stale factor`},
		{"negative delay", "db", pass, []Option{WithInitialDelay(-1)}, `"db": initial delay`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCheck(tt.checkName, tt.fn, tt.opts...)
			if err == nil {
				t.Fatal("want error")
			}
			if !errors.Is(err, ErrInvalidCheck) {
				t.Errorf("error %v does not wrap ErrInvalidCheck", err)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %q does not name %q", err, tt.wantField)
			}
		})
	}
	if _, err := NewCheck("ok-name_1.x", pass, WithTimeout(time.Millisecond), WithInterval(time.Second)); err != nil {
		t.Fatalf("valid check rejected: %v", err)
	}
}

func TestRegistryOptionValidation(t *testing.T) {
	tests := []struct {
		opt  RegistryOption
		want string
	}{
		{WithConcurrency(0), "WithConcurrency: concurrency 0"},
		{withMargin(-1), "withMargin: margin"},
		{WithLivenessGracePeriod(-1), "WithLivenessGracePeriod: liveness grace period"},
		{WithDrainDelay(-1), "WithDrainDelay: drain delay"},
		{WithLogger(nil), "WithLogger: logger"},
		{WithMeterProvider(nil), "WithMeterProvider: meter provider"},
		{withClock(nil), "withClock: clock"},
		{withListener(nil), "withListener: listener"},
	}
	for _, tt := range tests {
		_, err := NewRegistry(tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewRegistry(%s option) error = %v, want it to name %q", tt.want, err, tt.want)
		}
	}
}

// A single-valued option given twice is refused, naming it: the second
// would silently replace the first. Listeners add up.
func TestRegistryRefusesASingleValuedOptionTwice(t *testing.T) {
	_, err := NewRegistry(WithDrainDelay(time.Second), WithDrainDelay(2*time.Second))
	if err == nil || !strings.Contains(err.Error(), "WithDrainDelay: given twice") {
		t.Fatalf("drain delay twice: %v", err)
	}
	l := func(Transition) {}
	if _, err := NewRegistry(withListener(l), withListener(l)); err != nil {
		t.Fatalf("two listeners: %v", err)
	}
}

func TestDuplicateName(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, "db", pass)
	err := r.Register("db", pass)
	if !errors.Is(err, errDuplicateCheck) || !strings.Contains(err.Error(), `"db"`) {
		t.Fatalf("duplicate: got %v", err)
	}
	a, _ := NewCheck("x", pass)
	b, _ := NewCheck("x", pass)
	if err := r.Add(a, b); !errors.Is(err, errDuplicateCheck) {
		t.Fatalf("duplicate within one Add: got %v", err)
	}
	if len(r.Names()) != 1 {
		t.Fatalf("a failed Add must add nothing, have %v", r.Names())
	}
}

func TestStatusesAndCriticality(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, "ok", pass)
	mustRegister(t, r, "degraded", func(context.Context) error { return Warn(fmt.Errorf("p95 %dms", 900)) })
	mustRegister(t, r, "optional", func(context.Context) error { return errors.New("down") }, WithCritical(false))
	ctx := context.Background()
	rep := r.Evaluate(ctx, Readiness)
	if rep.Status != StatusWarn {
		t.Fatalf("aggregate = %v, want warn", rep.Status)
	}
	want := map[string]Status{"ok": StatusPass, "degraded": StatusWarn, "optional": StatusWarn}
	for _, res := range rep.Results {
		if res.Status != want[res.Name] {
			t.Errorf("%s = %v, want %v", res.Name, res.Status, want[res.Name])
		}
	}
	mustRegister(t, r, "critical", func(context.Context) error { return errors.New("down") })
	if st := r.Status(ctx, Readiness); st != StatusFail {
		t.Fatalf("critical failure: aggregate = %v, want fail", st)
	}
}

func TestHungCheckAnsweredWithinTimeout(t *testing.T) {
	// In a synctest bubble the clock is the bubble's: the request's wait
	// is measured exactly, whatever the machine's load.
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		var started atomic.Int32
		const timeout, margin = 100 * time.Millisecond, 20 * time.Millisecond
		r := newTestRegistry(t, withMargin(margin))
		// Ignores its context on purpose: the worst kind of check.
		mustRegister(t, r, "hung", func(context.Context) error {
			started.Add(1)
			<-release
			return nil
		}, WithTimeout(timeout), WithOnRequest(time.Millisecond))
		mustRegister(t, r, "fine", pass, WithTimeout(timeout))

		begin := time.Now()
		rep := r.Evaluate(context.Background(), Readiness)
		if elapsed := time.Since(begin); elapsed > timeout+margin {
			t.Fatalf("request waited %v for a check with a %v timeout", elapsed, timeout)
		}
		res, _ := r.Result("hung")
		if res.Status != StatusFail || !errors.Is(res.Err, errTimeout) {
			t.Fatalf("hung check: %v %v, want fail with errTimeout", res.Status, res.Err)
		}
		if rep.Status != StatusFail {
			t.Fatalf("aggregate %v, want fail", rep.Status)
		}
		// A second request while the first run is still stuck must not
		// start another goroutine.
		time.Sleep(5 * time.Millisecond) // the 1ms TTL expires
		r.Evaluate(context.Background(), Readiness)
		res, _ = r.Result("hung")
		if !errors.Is(res.Err, errStillRunning) {
			t.Fatalf("second run: %v, want errStillRunning", res.Err)
		}
		if n := started.Load(); n != 1 {
			t.Fatalf("hung check started %d times, want 1", n)
		}
	})
}

func TestCheckContextCancelledAtTimeout(t *testing.T) {
	cancelled := make(chan error, 1)
	c, err := NewCheck("slow", func(ctx context.Context) error {
		<-ctx.Done()
		cancelled <- ctx.Err()
		return ctx.Err()
	}, WithTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	o := c.run(context.Background())
	if o.Status != StatusFail || !errors.Is(o.Err, errTimeout) {
		t.Fatalf("outcome %v %v, want fail errTimeout", o.Status, o.Err)
	}
	if err := <-cancelled; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("check's ctx ended with %v, want DeadlineExceeded", err)
	}
}

func TestPanickingCheck(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	r := newTestRegistry(t, WithLogger(logger))
	mustRegister(t, r, "boom", func(context.Context) error { panic("nil map write") })
	rep := r.Evaluate(context.Background(), Readiness)
	if rep.Status != StatusFail {
		t.Fatalf("aggregate %v, want fail", rep.Status)
	}
	res := rep.Results[0]
	var pe *panicError
	if !errors.Is(res.Err, errPanic) || !errors.As(res.Err, &pe) || pe.Value != "nil map write" {
		t.Fatalf("err = %v, want a panicError", res.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "check panicked") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("panic with stack not logged: %s", logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestConcurrentRequestsShareOneRunPerTTL(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := newTestRegistry(t, withClock(fc))
	var runs atomic.Int32
	mustRegister(t, r, "psp", func(context.Context) error {
		runs.Add(1)
		time.Sleep(20 * time.Millisecond) // keep the run open while requests pile in
		return nil
	}, WithOnRequest(time.Second))
	mustRegister(t, r, "kyc", func(context.Context) error { runs.Add(1); return nil }, WithOnRequest(time.Second))
	h := r.Handler()

	burst := func() {
		var wg sync.WaitGroup
		var bad atomic.Int32
		for range 1000 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
				if rec.Code != http.StatusOK {
					bad.Add(1)
				}
			}()
		}
		wg.Wait()
		if bad.Load() != 0 {
			t.Fatalf("%d requests failed", bad.Load())
		}
	}
	burst()
	if n := runs.Load(); n != 2 {
		t.Fatalf("1000 requests ran the checks %d times, want 2 (one per check)", n)
	}
	fc.Advance(500 * time.Millisecond)
	burst()
	if n := runs.Load(); n != 2 {
		t.Fatalf("within the TTL: %d runs, want still 2", n)
	}
	fc.Advance(600 * time.Millisecond)
	burst()
	if n := runs.Load(); n != 4 {
		t.Fatalf("after the TTL: %d runs, want 4", n)
	}
}

// TestStaleScheduledResultIsUnknown: a scheduled result older than k
// intervals is stale: unknown, not the fail it would have been, yet still
// failing readiness.
func TestStaleScheduledResultIsUnknown(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := newTestRegistry(t, withClock(fc))
	ran := make(chan struct{}, 1)
	mustRegister(t, r, "ledger", func(context.Context) error {
		select {
		case ran <- struct{}{}:
		default:
		}
		return nil
	}, WithInterval(time.Hour), WithTimeout(time.Second), WithJitter(0))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-ran
	waitFor(t, func() bool { res, _ := r.Result("ledger"); return res.Status == StatusPass })
	fc.Advance(3 * time.Hour) // exactly k × interval: still fresh
	if res, _ := r.Result("ledger"); res.Stale {
		t.Fatal("stale at exactly 3 intervals")
	}
	fc.Advance(time.Second)
	res, _ := r.Result("ledger")
	if !res.Stale || res.Status != StatusUnknown || !errors.Is(res.Err, errStale) || res.age(fc.Now()) != 3*time.Hour+time.Second {
		t.Fatalf("after 3h1s: stale=%v status=%v err=%v age %v, want stale unknown 3h1s old", res.Stale, res.Status, res.Err, res.age(fc.Now()))
	}
	if st := r.Status(context.Background(), Readiness); st == StatusPass || st == StatusWarn {
		t.Fatalf("readiness with a stale result = %v, want failing", st)
	}
	if rep := r.Evaluate(context.Background(), Readiness); rep.Status != StatusFail {
		t.Fatalf("readiness report with a stale result = %v, want fail", rep.Status)
	}
}

func TestStartupReadinessUntilFirstPass(t *testing.T) {
	gate := make(chan struct{})
	r := newTestRegistry(t)
	mustRegister(t, r, "migrations", func(ctx context.Context) error {
		select {
		case <-gate:
			return nil
		default:
			return errors.New("not yet")
		}
	}, WithInterval(10*time.Millisecond), WithTimeout(5*time.Millisecond), WithEndpoints(Readiness|Startup))
	ctx := context.Background()
	if st := r.Status(ctx, Readiness); st == StatusPass || st == StatusWarn {
		t.Fatalf("before any run readiness = %v, want failing", st)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { res, _ := r.Result("migrations"); return res.Status == StatusFail })
	close(gate)
	waitFor(t, func() bool { return r.Status(ctx, Startup) == StatusPass })
	if st := r.Status(ctx, Readiness); st != StatusPass {
		t.Fatalf("after first pass readiness = %v", st)
	}
}

func TestThresholdsDampFlapping(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := newTestRegistry(t, withClock(fc))
	var fail atomic.Bool
	mustRegister(t, r, "game-agg", func(context.Context) error {
		if fail.Load() {
			return errors.New("502")
		}
		return nil
	}, WithThresholds(3, 2), WithOnRequest(time.Second))
	ctx := context.Background()
	step := func(failing bool) Status {
		fail.Store(failing)
		fc.Advance(time.Second)
		return r.Status(ctx, Readiness)
	}
	seq := []struct {
		failing bool
		want    Status
	}{
		{false, StatusUnknown}, {false, StatusPass}, // 2 successes to come up the first time
		{true, StatusPass}, {true, StatusPass}, {true, StatusFail}, // 3 failures to go down
		{false, StatusFail}, {false, StatusPass}, // 2 successes to come back
		{true, StatusPass}, {false, StatusPass}, {true, StatusPass}, // isolated blips are damped
	}
	for i, s := range seq {
		if got := step(s.failing); got != s.want {
			t.Fatalf("step %d (failing=%v): %v, want %v", i, s.failing, got, s.want)
		}
	}
}

func TestDrainFailsReadinessKeepsLiveness(t *testing.T) {
	// An hour-long delay ended by cancelling ctx: "Drain has not returned
	// during its delay" then holds on any machine, however loaded.
	r := newTestRegistry(t, WithDrainDelay(time.Hour))
	mustRegister(t, r, "ping", pass, WithEndpoints(Liveness|Readiness))
	mustRegister(t, r, "bg", pass, WithInterval(10*time.Millisecond), WithTimeout(5*time.Millisecond))
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h := r.Handler()
	get := func(p string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		return rec.Code
	}
	waitFor(t, func() bool { return get("/readyz") == http.StatusOK })

	drainCtx, endDelay := context.WithCancel(ctx)
	defer endDelay()
	done := make(chan error, 1)
	go func() { done <- r.Drain(drainCtx) }()
	<-r.DrainStarted()
	// During the delay: not ready, still alive, and the drain has not
	// returned yet.
	if c := get("/readyz"); c != http.StatusServiceUnavailable {
		t.Fatalf("readyz during drain = %d, want 503", c)
	}
	if c := get("/livez"); c != http.StatusOK {
		t.Fatalf("livez during drain = %d, want 200", c)
	}
	select {
	case <-done:
		t.Fatal("Drain returned before its delay")
	default:
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil))
	if !strings.Contains(rec.Body.String(), "[-]shutdown failed") {
		t.Fatalf("verbose readyz during drain:\n%s", rec.Body.String())
	}
	endDelay()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain cut short by ctx returned %v, want ctx's error", err)
	}
	if c := get("/readyz"); c != http.StatusServiceUnavailable {
		t.Fatalf("readyz after drain = %d, want 503", c)
	}
	// Background loops are gone: goleak in TestMain proves no goroutine is
	// left; here, the registry refuses to restart.
	if err := r.Start(ctx); err == nil {
		t.Fatal("Start after Drain must fail")
	}
}

func TestLivenessGracePeriod(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := newTestRegistry(t, withClock(fc), WithLivenessGracePeriod(time.Minute))
	mustRegister(t, r, "event-loop", func(context.Context) error { return errors.New("stuck") }, WithEndpoints(Liveness), WithOnRequest(time.Millisecond))
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if st := r.Status(ctx, Liveness); st != StatusPass {
		t.Fatalf("within grace: %v, want pass", st)
	}
	fc.Advance(61 * time.Second)
	if st := r.Status(ctx, Liveness); st != StatusFail {
		t.Fatalf("after grace: %v, want fail", st)
	}
}

func TestOverride(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, "pragmatic", pass, WithComponentType(componentGameProvider))
	ctx := context.Background()
	if err := r.Override("pragmatic", StatusFail, "provider maintenance 02:00-03:00", "ops"); err != nil {
		t.Fatal(err)
	}
	res, _ := r.Result("pragmatic")
	if res.Status != StatusFail || res.Override == nil || !errors.Is(res.Err, errOutOfService) {
		t.Fatalf("after override: %+v", res)
	}
	if st := r.Status(ctx, Readiness); st != StatusFail {
		t.Fatalf("readiness = %v", st)
	}
	if err := r.ClearOverride("pragmatic", "maintenance over", "ops"); err != nil {
		t.Fatal(err)
	}
	if st := r.Status(ctx, Readiness); st != StatusPass {
		t.Fatalf("after clear: %v", st)
	}
	if err := r.Override("nope", StatusFail, "", ""); !errors.Is(err, ErrUnknownCheck) {
		t.Fatalf("unknown name: %v", err)
	}
	if err := r.Override("pragmatic", StatusWarn, "", ""); err == nil || !strings.Contains(err.Error(), "status") {
		t.Fatalf("warn override: %v", err)
	}
}

func TestEveryOverrideReachesTheOverrideListeners(t *testing.T) {
	var got []string
	r := newTestRegistry(t,
		WithOverrideListener(func(c OverrideChange) {
			state := "cleared"
			if c.Override != nil {
				state = c.Override.Status.String() + " by " + c.Override.By
			}
			got = append(got, "1:"+c.Name+" "+state+" ("+c.Reason+", "+c.By+")")
		}),
		WithOverrideListener(func(c OverrideChange) { got = append(got, "2:"+c.Name) }),
	)
	mustRegister(t, r, "pragmatic", func(context.Context) error { return errors.New("down") })
	r.Evaluate(context.Background(), Readiness)
	// Failing already: forcing it out of service changes no status, and
	// is audited all the same.
	_ = r.Override("pragmatic", StatusFail, "maintenance", "ops-alice")
	_ = r.ClearOverride("pragmatic", "done", "ops-bob")
	want := []string{
		"1:pragmatic fail by ops-alice (maintenance, ops-alice)", "2:pragmatic",
		"1:pragmatic cleared (done, ops-bob)", "2:pragmatic",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listeners saw\n%q\nwant\n%q", got, want)
	}
	if _, err := NewRegistry(WithOverrideListener(nil)); err == nil || !strings.Contains(err.Error(), "override listener") {
		t.Fatalf("nil listener: %v", err)
	}
}

func TestTransitionsListenerMayCallBack(t *testing.T) {
	var got []string
	var mu sync.Mutex
	var r *Registry
	r = newTestRegistry(t, withListener(func(tr Transition) {
		// Calling back into the registry from a listener must not deadlock.
		_ = r.Results()
		if tr.Name == "wallet" && tr.To == StatusFail {
			_ = r.Override("bonus", StatusFail, "wallet down", "ops")
		}
		first := ""
		if tr.First {
			first = " (first)"
		}
		mu.Lock()
		got = append(got, tr.Name+":"+tr.From.String()+">"+tr.To.String()+first)
		mu.Unlock()
	}))
	var fail atomic.Bool
	mustRegister(t, r, "wallet", func(context.Context) error {
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	}, WithOnRequest(time.Nanosecond))
	mustRegister(t, r, "bonus", pass, WithOnRequest(time.Hour))
	ctx := context.Background()
	r.Evaluate(ctx, Readiness)
	fail.Store(true)
	r.Evaluate(ctx, Readiness)
	mu.Lock()
	defer mu.Unlock()
	// First marks each check's first run, not the override's transition.
	want := []string{"bonus:unknown>pass (first)", "wallet:unknown>pass (first)", "wallet:pass>fail", "bonus:pass>fail"}
	if len(got) != len(want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	// The first two come from one concurrent evaluation: any order.
	if !(got[0] == want[0] && got[1] == want[1] || got[0] == want[1] && got[1] == want[0]) || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("transitions %v, want %v", got, want)
	}
}

func TestTransitionsLoggedOnce(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	r := newTestRegistry(t, WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))))
	mustRegister(t, r, "db", func(context.Context) error {
		return errors.New("dial postgres://app:hunter2@db:5432: refused")
	}, WithOnRequest(time.Nanosecond))
	for range 5 {
		r.Evaluate(context.Background(), Readiness)
	}
	mu.Lock()
	defer mu.Unlock()
	out := buf.String()
	if n := strings.Count(out, "check status changed"); n != 1 {
		t.Fatalf("%d transition lines for one transition:\n%s", n, out)
	}
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "check=db") || !strings.Contains(out, "duration=") {
		t.Fatalf("log line must name the check and duration and redact the error:\n%s", out)
	}
}

func TestRegisterAfterStart(t *testing.T) {
	r := newTestRegistry(t)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{}, 1)
	mustRegister(t, r, "late", func(context.Context) error {
		select {
		case ran <- struct{}{}:
		default:
		}
		return nil
	}, WithInterval(10*time.Millisecond), WithTimeout(5*time.Millisecond))
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("background check added after Start never ran")
	}
	if !r.Remove("late") || r.Remove("late") {
		t.Fatal("Remove must report whether the check existed")
	}
}

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	r := newTestRegistry(t, WithMeterProvider(mp))
	var fail atomic.Bool
	mustRegister(t, r, "psp", func(context.Context) error {
		if fail.Load() {
			return errors.New("503")
		}
		return nil
	}, WithOnRequest(time.Nanosecond), WithComponentType(componentPaymentProvider))
	r.Evaluate(context.Background(), Readiness)
	fail.Store(true)
	r.Evaluate(context.Background(), Readiness)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scopeName {
			continue
		}
		for _, m := range sm.Metrics {
			found[m.Name] = true
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]: // status
				for _, dp := range d.DataPoints {
					state, _ := dp.Attributes.Value(igsemconv.AttrCheckState)
					want := int64(0)
					if state.AsString() == "fail" {
						want = 1
					}
					if dp.Value != want {
						t.Errorf("status{%s} = %d, want %d", state.AsString(), dp.Value, want)
					}
				}
				if len(d.DataPoints) != 4 {
					t.Errorf("status has %d series, want 4 states", len(d.DataPoints))
				}
			case metricdata.Histogram[float64]:
				var n uint64
				for _, dp := range d.DataPoints {
					n += dp.Count
				}
				if n != 2 || m.Unit != "s" {
					t.Errorf("duration: %d runs unit %q, want 2 runs in s", n, m.Unit)
				}
			case metricdata.Sum[int64]: // transitions: unknown>pass, pass>fail
				var n int64
				for _, dp := range d.DataPoints {
					n += dp.Value
				}
				if n != 2 {
					t.Errorf("transitions = %d, want 2", n)
				}
			}
		}
	}
	for _, name := range []string{igsemconv.MetricCheckStatus, igsemconv.MetricCheckDuration, igsemconv.MetricCheckTransitions, igsemconv.MetricCheckAge} {
		if !found[name] {
			t.Errorf("metric %s missing; have %v", name, found)
		}
	}
}

func TestObserveAndDetail(t *testing.T) {
	c, err := NewCheck("disk", func(ctx context.Context) error {
		Observe(ctx, "freeBytes", 1<<30, "By")
		Detail(ctx, "path", "/var/lib")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	o := c.run(context.Background())
	if o.Observation == nil || o.Observation.Value != 1<<30 || o.Observation.Unit != "By" || o.Details["path"] != "/var/lib" {
		t.Fatalf("outcome %+v", o)
	}
	// Outside a run they are no-ops, not panics.
	Observe(context.Background(), "x", 1, "1")
	Detail(context.Background(), "k", "v")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCallerDeadlineEndsTheWait: a caller whose context ends (a probe's
// timeout, a gRPC deadline) stops waiting even for a single stale check
// with a long timeout; the check keeps its own timeout.
func TestCallerDeadlineEndsTheWait(t *testing.T) {
	release := make(chan struct{})
	r := newTestRegistry(t)
	mustRegister(t, r, "slow-psp", func(context.Context) error {
		<-release
		return nil
	}, WithTimeout(30*time.Second))
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan Report, 1)
	go func() { done <- r.Evaluate(ctx, Readiness) }()
	select {
	case rep := <-done:
		if rep.Status == StatusPass {
			t.Fatalf("status %v without a result, want not pass", rep.Status)
		}
	case <-time.After(10 * time.Second): // far below the check's 30s timeout
		t.Fatal("the request waited for the check's timeout after its own deadline passed")
	}
}
