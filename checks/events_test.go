package checks

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestListenerPanicDoesNotStopDelivery: a listener that panics must neither
// crash the process (transitions are published from background loops) nor
// wedge the dispatcher so that later transitions are never delivered. It
// runs in a synctest bubble, so "the loop has delivered its transition"
// is synctest.Wait, not a poll.
func TestListenerPanicDoesNotStopDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		time.Sleep(time.Nanosecond) // the TTL expires (the bubble's clock stands still otherwise)
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
		synctest.Wait() // the loop has published the bg check's first transition

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
	})
}

// TestListenerPanicValueRedacted: a listener's panic is logged through the
// redactor.
func TestListenerPanicValueRedacted(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	r := newTestRegistry(t, WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))),
		withListener(func(Transition) { panic(panicDSN) }))
	mustRegister(t, r, "db", pass)
	r.Evaluate(context.Background(), Readiness)
	mu.Lock()
	defer mu.Unlock()
	if out := logs.String(); !strings.Contains(out, "transition listener panicked") || strings.Contains(out, dsnSecret) {
		t.Fatalf("listener panic log:\n%s", out)
	}
}

// TestListenersCalledInRegistrationOrder: every transition reaches the
// listeners in the order they subscribed (withListener first), also after
// one of them unsubscribed.
func TestListenersCalledInRegistrationOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var order []int
		listen := func(i int) func(Transition) {
			return func(Transition) { mu.Lock(); order = append(order, i); mu.Unlock() }
		}
		r := newTestRegistry(t, withListener(listen(0)), withListener(listen(1)))
		unsub := make([]func(), 8)
		for i := 2; i < 8; i++ {
			unsub[i] = r.Subscribe(listen(i))
		}
		var fail atomic.Bool
		mustRegister(t, r, "wallet", func(context.Context) error {
			if fail.Load() {
				return errors.New("down")
			}
			return nil
		}, WithOnRequest(time.Nanosecond))
		ctx := context.Background()
		r.Evaluate(ctx, Readiness) // unknown > pass
		unsub[4]()
		fail.Store(true)
		time.Sleep(time.Nanosecond) // the 1ns TTL expires on the bubble's clock
		r.Evaluate(ctx, Readiness)  // pass > fail
		mu.Lock()
		defer mu.Unlock()
		want := []int{0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 5, 6, 7}
		if len(order) != len(want) {
			t.Fatalf("calls %v, want %v", order, want)
		}
		for i := range want {
			if order[i] != want[i] {
				t.Fatalf("calls %v, want %v", order, want)
			}
		}
	})
}

func TestTransitionsListenerMayCallBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		time.Sleep(time.Nanosecond) // the 1ns TTL expires on the bubble's clock
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
	})
}

func TestTransitionsLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		var mu sync.Mutex
		r := newTestRegistry(t, WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))))
		mustRegister(t, r, "db", func(context.Context) error {
			return errors.New("dial postgres://app:hunter2@db:5432: refused")
		}, WithOnRequest(time.Nanosecond))
		for range 5 {
			r.Evaluate(context.Background(), Readiness)
			time.Sleep(time.Nanosecond) // the 1ns TTL expires on the bubble's clock
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
	})
}
