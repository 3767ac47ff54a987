package checks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

// The tests in this file cover Start, Drain and Shutdown. Those that wait
// for a background loop or a delay run in a synctest bubble: time.Sleep
// advances the bubble's clock once every goroutine in it is blocked, and
// synctest.Wait returns once they all are, so "the loop has run" is exact
// and instant instead of a poll.

// TestShutdownCancelsInFlightRuns: Shutdown must cancel a running
// on-request check (which respects its context) instead of waiting out its
// timeout, and the cancelled run must not be recorded as a failure.
func TestShutdownCancelsInFlightRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		begin := time.Now()
		if err := r.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown waited out its deadline for a run it should have cancelled: %v", err)
		}
		if waited := time.Since(begin); waited != 0 {
			t.Fatalf("Shutdown took %v of the bubble's clock; cancelling the run takes none", waited)
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
	})
}

// TestDrainReturnsAfterItsDelay is the timing half of drain: Drain returns
// nil exactly when its delay is over, readiness fails from its start, and
// a second Drain neither waits again nor reopens readiness.
func TestDrainReturnsAfterItsDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 15 * time.Second
		r := newTestRegistry(t, WithDrainDelay(delay))
		begin := time.Now()
		if err := r.Drain(context.Background()); err != nil {
			t.Fatalf("Drain with a %v delay: %v", delay, err)
		}
		if waited := time.Since(begin); waited != delay {
			t.Fatalf("Drain returned after %v, want its delay %v", waited, delay)
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
	})
}

// TestDrainFailsReadinessKeepsLiveness: during the drain delay readiness
// fails (saying why) while liveness still passes; a caller's context
// ends the delay early with its error; the loops are gone afterwards.
func TestDrainFailsReadinessKeepsLiveness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestRegistry(t, WithDrainDelay(time.Hour))
		mustRegister(t, r, "ping", pass, WithEndpoints(Liveness|Readiness))
		mustRegister(t, r, "bg", pass, WithInterval(time.Minute), WithTimeout(time.Second))
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
		time.Sleep(maxFirstSpread) // every loop has run once
		synctest.Wait()
		if c := get("/readyz"); c != http.StatusOK {
			t.Fatalf("readyz before drain = %d, want 200", c)
		}

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
		time.Sleep(time.Hour - time.Nanosecond)
		synctest.Wait()
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
		// Background loops are gone: the bubble (like goleak in TestMain)
		// proves no goroutine is left; here, the registry refuses to
		// restart.
		if err := r.Start(ctx); err == nil {
			t.Fatal("Start after Drain must fail")
		}
	})
}

// TestCheckRegisteredAfterStartGetsItsOwnLoop: a scheduled check added after Start gets its own
// loop at once (its first run comes within the first-run spread), and
// Remove reports whether the name existed.
func TestCheckRegisteredAfterStartGetsItsOwnLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		time.Sleep(maxFirstSpread)
		synctest.Wait()
		select {
		case <-ran:
		default:
			t.Fatalf("background check added after Start did not run within %v", maxFirstSpread)
		}
		if !r.Remove("late") || r.Remove("late") {
			t.Fatal("Remove must report whether the check existed")
		}
	})
}

// TestStartupReadinessUntilFirstPass: a startup check fails readiness and
// startup until its loop sees it pass.
func TestStartupReadinessUntilFirstPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Millisecond
		gate := make(chan struct{})
		r := newTestRegistry(t)
		mustRegister(t, r, "migrations", func(ctx context.Context) error {
			select {
			case <-gate:
				return nil
			default:
				return errors.New("not yet")
			}
		}, WithInterval(interval), WithTimeout(5*time.Millisecond), WithJitter(0), WithEndpoints(Readiness|Startup))
		ctx := context.Background()
		if st := r.Status(ctx, Readiness); st == StatusPass || st == StatusWarn {
			t.Fatalf("before any run readiness = %v, want failing", st)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		// Without jitter the loop runs at once and then every interval.
		time.Sleep(interval)
		synctest.Wait()
		if res, _ := r.Result("migrations"); res.Status != StatusFail {
			t.Fatalf("while migrating: %v, want fail", res.Status)
		}
		if st := r.Status(ctx, Startup); st != StatusFail {
			t.Fatalf("startup while migrating = %v, want fail", st)
		}
		close(gate)
		time.Sleep(interval) // the next run
		synctest.Wait()
		if st := r.Status(ctx, Startup); st != StatusPass {
			t.Fatalf("after the migrations startup = %v, want pass", st)
		}
		if st := r.Status(ctx, Readiness); st != StatusPass {
			t.Fatalf("after first pass readiness = %v", st)
		}
	})
}

// TestLivenessGracePeriod: liveness passes for the grace period after
// Start whatever its checks say, and fails after it.
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
