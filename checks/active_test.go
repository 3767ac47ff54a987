package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The timing tests in this file run in a synctest bubble: time.Sleep advances a
// fake clock once every goroutine of the bubble is blocked, so "after
// Start, wait 25s" is exact and instant, and the registry's default clock
// (time.Now) follows it.

const dsnSecret = "s3cret"

var panicDSN = "connect postgres://user:" + dsnSecret + "@host/db: pool exhausted"

// TestCheckWithoutIntervalRunsInBackgroundAfterStart: a check registered
// with no interval option runs on the default schedule after Start, and its
// failure shows in Results without any endpoint being called.
func TestCheckWithoutIntervalRunsInBackgroundAfterStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestRegistry(t)
		var down atomic.Bool
		var runs atomic.Int32
		mustRegister(t, r, "postgres", func(context.Context) error {
			runs.Add(1)
			if down.Load() {
				return errors.New("connection refused")
			}
			return nil
		})
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The first run comes within a second of Start.
		time.Sleep(time.Second)
		synctest.Wait()
		res, _ := r.Result("postgres")
		if runs.Load() != 1 || res.Status != StatusPass {
			t.Fatalf("1s after Start: %d runs, status %v; want 1 run, pass", runs.Load(), res.Status)
		}

		// The database goes down; nobody calls an endpoint.
		down.Store(true)
		time.Sleep(defaultInterval + defaultInterval/10)
		synctest.Wait()
		res, _ = r.Result("postgres")
		if res.Status != StatusFail || res.Err == nil || !strings.Contains(res.Err.Error(), "connection refused") || res.Stale {
			t.Fatalf("one interval later: %v %v stale=%v; want fail with the check's error", res.Status, res.Err, res.Stale)
		}
		// And it keeps running on its schedule.
		before := runs.Load()
		time.Sleep(10 * defaultInterval)
		synctest.Wait()
		if n := runs.Load() - before; n < 9 || n > 12 {
			t.Fatalf("%d runs in 10 default intervals, want about 10", n)
		}
		if res := r.Results()[0]; res.Stale || res.Status != StatusFail {
			t.Fatalf("a running schedule went stale: %+v", res)
		}
	})
}

// TestEndpointsRunScheduledCheckOnlyWhenResultMissing: while the schedule
// runs, requests answer from the latest result; they run a scheduled check
// only when it has no result yet.
func TestEndpointsRunScheduledCheckOnlyWhenResultMissing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestRegistry(t)
		var runs atomic.Int32
		mustRegister(t, r, "ledger", func(context.Context) error { runs.Add(1); return nil },
			WithInterval(time.Minute), WithInitialDelay(30*time.Second), WithJitter(0))
		ctx := context.Background()
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		// Before the first scheduled run the result is missing: the
		// endpoint runs the check once, every later request reuses it.
		for range 100 {
			if st := r.Status(ctx, Readiness); st != StatusPass {
				t.Fatalf("status %v", st)
			}
			r.Evaluate(ctx, Readiness)
		}
		if n := runs.Load(); n != 1 {
			t.Fatalf("200 requests ran a scheduled check %d times, want 1", n)
		}
		time.Sleep(30 * time.Second) // the first scheduled run
		synctest.Wait()
		time.Sleep(45 * time.Second) // older than the TTL an on-request check would have had
		for range 100 {
			r.Status(ctx, Readiness)
		}
		if n := runs.Load(); n != 2 {
			t.Fatalf("after the first scheduled run: %d runs, want 2 (requests must not add any)", n)
		}
	})
}

// TestStoppedRegistryRefreshesScheduledChecksPerInterval: after Stop (and
// Drain) the loops are gone; /livez must keep telling the truth, so the
// endpoints run a scheduled check once its result is an interval old.
func TestStoppedRegistryRefreshesScheduledChecksPerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestRegistry(t)
		var runs atomic.Int32
		mustRegister(t, r, "event-loop", func(context.Context) error { runs.Add(1); return nil },
			WithEndpoints(Liveness), WithJitter(0))
		ctx := context.Background()
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		r.stop()
		n := runs.Load()
		time.Sleep(defaultInterval / 2)
		r.Status(ctx, Liveness)
		if runs.Load() != n {
			t.Fatal("a result younger than the interval was refreshed")
		}
		time.Sleep(defaultStaleFactor * defaultInterval) // would be stale without a refresh
		if st := r.Status(ctx, Liveness); st != StatusPass || runs.Load() != n+1 {
			t.Fatalf("after Stop: liveness %v after %d runs, want pass after %d", st, runs.Load(), n+1)
		}
	})
}

// TestOnRequestCheckAgesAndGoesStale: an on-request check never runs in the
// background; its result ages, and past its stale bound it is stale,
// unknown and not counted as passing.
func TestOnRequestCheckAgesAndGoesStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newTestRegistry(t)
		var runs atomic.Int32
		mustRegister(t, r, "psp", func(context.Context) error { runs.Add(1); return nil },
			WithOnRequest(5*time.Second), WithComponentType(componentPaymentProvider))
		ctx := context.Background()
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := runs.Load(); n != 0 {
			t.Fatalf("an on-request check ran %d times in the background", n)
		}
		if st := r.Status(ctx, Readiness); st != StatusPass || runs.Load() != 1 {
			t.Fatalf("on request: %v after %d runs, want pass after 1", st, runs.Load())
		}
		ranAt := time.Now()

		time.Sleep(30 * time.Second)
		res, _ := r.Result("psp")
		if res.Stale || res.Status != StatusPass || res.age(time.Now()) != 30*time.Second || !res.Time.Equal(ranAt) {
			t.Fatalf("30s old: stale=%v %v age %v; want a fresh pass 30s old", res.Stale, res.Status, res.age(time.Now()))
		}

		time.Sleep(defaultOnRequestStaleAfter - 30*time.Second + time.Nanosecond)
		synctest.Wait()
		if n := runs.Load(); n != 1 {
			t.Fatalf("%d runs without a request, want 1", n)
		}
		res, _ = r.Result("psp")
		if !res.Stale || res.Status != StatusUnknown || !errors.Is(res.Err, errStale) || res.age(time.Now()) <= defaultOnRequestStaleAfter {
			t.Fatalf("past the stale bound: stale=%v %v %v age %v; want stale unknown errStale", res.Stale, res.Status, res.Err, res.age(time.Now()))
		}
		if agg, _ := r.aggregate(Readiness, r.Results(), time.Now()); agg != StatusFail {
			t.Fatalf("readiness over a stale result %v, want fail", agg)
		}
		// health+json marks it stale and shows when it ran, to every caller.
		h := &handler{r: r}
		var doc healthDoc
		if err := json.Unmarshal(h.healthJSON(Report{Endpoint: Readiness, Status: StatusFail, Results: r.Results()}, false), &doc); err != nil {
			t.Fatal(err)
		}
		hc := doc.Checks["psp:responseTime"]
		if len(hc) != 1 || hc[0]["status"] != "fail" || hc[0]["stale"] != true || hc[0]["time"] != ranAt.UTC().Format(time.RFC3339Nano) {
			t.Fatalf("health+json for a stale result: %+v", doc.Checks)
		}
		// A request runs it again: fresh.
		if st := r.Status(ctx, Readiness); st != StatusPass || runs.Load() != 2 {
			t.Fatalf("next request: %v after %d runs", st, runs.Load())
		}
	})
}

// TestStaleResultIsNoTransition: a result going stale and the next fresh
// result after it are no status change of the component: no transition is
// published or logged for either.
func TestStaleResultIsNoTransition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		r := newTestRegistry(t, withListener(func(tr Transition) {
			mu.Lock()
			got = append(got, tr.From.String()+">"+tr.To.String())
			mu.Unlock()
		}))
		mustRegister(t, r, "kyc", pass, WithOnRequest(time.Second), WithStaleAfter(10*time.Second))
		ctx := context.Background()
		r.Status(ctx, Readiness)
		time.Sleep(time.Minute)
		if res, _ := r.Result("kyc"); !res.Stale {
			t.Fatal("not stale after a minute")
		}
		r.Status(ctx, Readiness)
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(got, ",") != "unknown>pass" {
			t.Fatalf("transitions %v, want only the first unknown>pass", got)
		}
	})
}

// TestScheduledHungCheckFailsWithinTimeout: a scheduled check that hangs
// ignoring its context is reported failed at its timeout, then "still
// running" without a second goroutine, and never goes stale.
func TestScheduledHungCheckFailsWithinTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		r := newTestRegistry(t)
		var started atomic.Int32
		mustRegister(t, r, "psp", func(context.Context) error {
			started.Add(1)
			<-release // ignores its context on purpose
			return nil
		}, WithTimeout(2*time.Second), WithJitter(0))
		defer close(release) // before the registry's cleanup waits for runs
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2*time.Second + time.Millisecond)
		synctest.Wait()
		res, _ := r.Result("psp")
		if res.Status != StatusFail || !errors.Is(res.Err, errTimeout) {
			t.Fatalf("at its timeout: %v %v, want fail errTimeout", res.Status, res.Err)
		}
		time.Sleep(5 * defaultInterval)
		synctest.Wait()
		res, _ = r.Result("psp")
		if res.Status != StatusFail || !errors.Is(res.Err, errStillRunning) || res.Stale || started.Load() != 1 {
			t.Fatalf("later: %v %v stale=%v started %d; want fail errStillRunning, not stale, started once", res.Status, res.Err, res.Stale, started.Load())
		}
	})
}

// TestPanicValueRedactedAndStackLoggedOncePerStreak: a panic holding a DSN
// password reaches neither the log nor the result's error text, and the
// stack is logged on the first panic of a streak, not on every run.
func TestPanicValueRedactedAndStackLoggedOncePerStreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		var logMu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		r := newTestRegistry(t, WithLogger(logger))
		var ok atomic.Bool
		mustRegister(t, r, "wallet-db", func(context.Context) error {
			if ok.Load() {
				return nil
			}
			panic(panicDSN)
		}, WithInterval(time.Second), WithTimeout(time.Second), WithJitter(0))
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(4*time.Second + time.Millisecond) // five panicking runs
		synctest.Wait()
		res, _ := r.Result("wallet-db")
		if res.Status != StatusFail || !errors.Is(res.Err, errPanic) || res.ConsecutiveFailures != 5 {
			t.Fatalf("after five panics: %v %v, %d failures", res.Status, res.Err, res.ConsecutiveFailures)
		}
		if msg := res.Err.Error(); strings.Contains(msg, dsnSecret) || !strings.Contains(msg, "postgres://REDACTED@host/db") {
			t.Fatalf("Result.Err shows %q", msg)
		}
		stacks := func() (stacks, panics int, out string) {
			logMu.Lock()
			defer logMu.Unlock()
			out = logs.String()
			return strings.Count(out, "stack="), strings.Count(out, `msg="igmon: check panicked`), out
		}
		if s, p, out := stacks(); s != 1 || p != 5 || strings.Contains(out, dsnSecret) || !strings.Contains(out, "REDACTED") {
			t.Fatalf("five panics: %d stacks in %d panic lines (want 1 in 5), secret or mask wrong:\n%s", s, p, out)
		}

		// One passing run ends the streak; the next panic logs its stack.
		ok.Store(true)
		time.Sleep(time.Second)
		synctest.Wait()
		ok.Store(false)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if s, _, out := stacks(); s != 2 || strings.Contains(out, dsnSecret) {
			t.Fatalf("a new streak: %d stacks, want 2:\n%s", s, out)
		}
	})
}

// TestStatusDoesNotAllocateWhenFresh: the plain /livez and /readyz path
// must not allocate while every result is fresh, scheduled or on-request,
// before and after Start.
func TestStatusDoesNotAllocateWhenFresh(t *testing.T) {
	r := newTestRegistry(t)
	for _, name := range []string{"postgres", "redis", "stripe"} {
		// Loops that stay quiet while allocations are counted.
		mustRegister(t, r, name, pass, WithInterval(time.Hour), WithInitialDelay(time.Hour))
	}
	mustRegister(t, r, "sumsub", pass, WithOnRequest(time.Hour))
	ctx := context.Background()
	if st := r.Status(ctx, Readiness); st != StatusPass { // first results
		t.Fatalf("status %v", st)
	}
	if a := testing.AllocsPerRun(1000, func() { r.Status(ctx, Readiness) }); a != 0 {
		t.Fatalf("before Start: Status allocates %v times per call with fresh results", a)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(1000, func() { r.Status(ctx, Readiness) }); a != 0 {
		t.Fatalf("after Start: Status allocates %v times per call with fresh results", a)
	}
}

// TestEffectiveSchedule pins what the accessors report for the defaults.
func TestEffectiveSchedule(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		opts                   []Option
		interval, ttl, staleAt time.Duration
		onRequest              bool
	}{
		{"default", nil, defaultInterval, 0, defaultStaleFactor * defaultInterval, false},
		{"long timeout stretches the default interval", []Option{WithTimeout(time.Minute)}, time.Minute, 0, 3 * time.Minute, false},
		{"explicit interval", []Option{WithInterval(time.Hour)}, time.Hour, 0, 3 * time.Hour, false},
		{"stale factor", []Option{withStaleFactor(5)}, defaultInterval, 0, 5 * defaultInterval, false},
		{"stale after", []Option{WithStaleAfter(time.Minute)}, defaultInterval, 0, time.Minute, false},
		{"on request", []Option{WithOnRequest(time.Second)}, 0, time.Second, defaultOnRequestStaleAfter, true},
		{"on request long ttl", []Option{WithOnRequest(5 * time.Minute)}, 0, 5 * time.Minute, 5 * time.Minute, true},
		{"on request stale after", []Option{WithOnRequest(time.Second), WithStaleAfter(time.Hour)}, 0, time.Second, time.Hour, true},
	} {
		c, err := NewCheck("c", pass, tc.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.s.interval != tc.interval || c.s.ttl != tc.ttl || c.s.staleAfter != tc.staleAt || c.s.onRequest != tc.onRequest {
			t.Errorf("%s: interval %v ttl %v stale after %v on-request %v; want %v %v %v %v", tc.name,
				c.s.interval, c.s.ttl, c.s.staleAfter, c.s.onRequest, tc.interval, tc.ttl, tc.staleAt, tc.onRequest)
		}
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
