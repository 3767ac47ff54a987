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

	igname "github.com/jackcode/igmon/internal/name"

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

// TestDuplicateCheckNameRefused: a name already registered, or twice in
// one Add, is refused naming it, and a refused Add adds nothing.
func TestDuplicateCheckNameRefused(t *testing.T) {
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
	if res := r.Results(); len(res) != 1 {
		t.Fatalf("a failed Add must add nothing, have %d checks", len(res))
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
	synctest.Test(t, func(t *testing.T) {
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
		if o.Duration != 20*time.Millisecond {
			t.Fatalf("run took %v of the bubble's clock, want its 20ms timeout", o.Duration)
		}
		if err := <-cancelled; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("check's ctx ended with %v, want DeadlineExceeded", err)
		}
	})
}

// TestPanickingCheckFailsWithItsStackLogged: a check that panics fails
// with a panicError holding the value, and the stack is logged.
func TestPanickingCheckFailsWithItsStackLogged(t *testing.T) {
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
	synctest.Test(t, func(t *testing.T) {
		r := newTestRegistry(t)
		var runs atomic.Int32
		mustRegister(t, r, "psp", func(context.Context) error {
			runs.Add(1)
			// The bubble's clock moves only once every request is
			// blocked: all 1000 pile in while this run is open.
			time.Sleep(20 * time.Millisecond)
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
		time.Sleep(500 * time.Millisecond)
		burst()
		if n := runs.Load(); n != 2 {
			t.Fatalf("within the TTL: %d runs, want still 2", n)
		}
		time.Sleep(600 * time.Millisecond)
		burst()
		if n := runs.Load(); n != 4 {
			t.Fatalf("after the TTL: %d runs, want 4", n)
		}
	})
}

// TestStaleScheduledResultIsUnknown: a scheduled result older than k
// intervals is stale: unknown, not the fail it would have been, yet still
// failing readiness.
func TestStaleScheduledResultIsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		synctest.Wait() // the loop has recorded the run
		if res, _ := r.Result("ledger"); res.Status != StatusPass {
			t.Fatalf("after the first run: %v, want pass", res.Status)
		}
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
	})
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
		if i == 0 {
			// Undecided after one pass: the result says why, so that
			// /readyz?verbose never shows a status without a reason.
			if res, _ := r.Result("game-agg"); !errors.Is(res.Err, errUndecided) {
				t.Fatalf("undecided result err = %v, want errUndecided", res.Err)
			}
		}
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

// TestCallerDeadlineEndsTheWait: a caller whose context ends (a probe's
// timeout, a gRPC deadline) stops waiting even for a single stale check
// with a long timeout; the check keeps its own timeout.
func TestCallerDeadlineEndsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		r := newTestRegistry(t)
		mustRegister(t, r, "slow-psp", func(context.Context) error {
			<-release
			return nil
		}, WithTimeout(30*time.Second))
		defer close(release)
		const deadline = 50 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		begin := time.Now()
		rep := r.Evaluate(ctx, Readiness)
		if waited := time.Since(begin); waited != deadline {
			t.Fatalf("the request waited %v with a %v deadline (the check's timeout is 30s)", waited, deadline)
		}
		if rep.Status == StatusPass {
			t.Fatalf("status %v without a result, want not pass", rep.Status)
		}
	})
}

// TestRequestRunsAtMostConcurrencyChecksAtOnce: the checks of one request run at most
// WithConcurrency at a time (exactly that many while they overlap), and
// all of them run.
func TestRequestRunsAtMostConcurrencyChecksAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
				time.Sleep(20 * time.Millisecond) // blocks until all runs that can start have started
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
		if ran != 6 || peak != 2 {
			t.Fatalf("%d runs with %d at once, want 6 with 2 at once", ran, peak)
		}
	})
}
