package instrument

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

// TestHealthIsWhatTheMonitorPublished: a Monitor's dependency is unknown
// until the Monitor publishes a verdict, then returns that verdict whole.
func TestHealthIsWhatTheMonitorPublished(t *testing.T) {
	var nilDep *Dependency
	if h := nilDep.Health(); h != (Health{}) {
		t.Fatalf("nil dependency: %+v", h)
	}
	m, _ := newRig(t)
	d := mustDep(t, m, KindPayment, "stripe")
	if h := d.Health(); h.State != checks.StatusUnknown || !h.At.IsZero() {
		t.Fatalf("before any verdict: %+v", h)
	}
	want := Health{State: checks.StatusFail, Signal: "traffic", Reason: "100 % of 57 calls failed over 30 s"}
	instrumenthook.SetHealth(d, want)
	if h := d.Health(); h != want {
		t.Fatalf("Health %+v, want %+v", h, want)
	}
}

// BenchmarkDependencyHealth: reading the verdict on a request path is one
// atomic load and a copy, against a bare atomic load as baseline.
func BenchmarkDependencyHealth(b *testing.B) {
	m, _ := newRig(b)
	d := mustDep(b, m, KindPayment, "stripe")
	instrumenthook.SetHealth(d, Health{State: checks.StatusPass, Reason: "ok"})
	b.Run("baseline=atomic-load", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if d.health.Load() != nil {
				n++
			}
		}
		_ = n
	})
	b.Run("Health", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if d.Health().State == checks.StatusFail {
				n++
			}
		}
		_ = n
	})
}

// TestInstrumentationStartsNoGoroutine: a dependency and a middleware on
// the global provider record calls and requests without any goroutine of
// their own, before or after use (a Monitor starts its engine only at
// Start).
func TestInstrumentationStartsNoGoroutine(t *testing.T) {
	d, err := NewDependency(KindPayment, "stripe")
	if err != nil {
		t.Fatal(err)
	}
	h, err := Middleware(http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Track(context.Background(), "deposit", func(context.Context) error { return nil })
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	goleak.VerifyNone(t)
}
