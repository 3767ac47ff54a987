package checks

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The ceiling: the cheapest possible health handler. /readyz answered
// from fresh cached results should stay within 2x its ns/op and 2 allocs.
func BenchmarkReadyzCeiling(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	benchHandler(b, h)
}

// BenchmarkReadyzCached: five on-request checks with fresh results and one
// scheduled check whose loop keeps its result fresh.
func BenchmarkReadyzCached(b *testing.B) {
	r, err := NewRegistry(WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	for _, name := range []string{"postgres", "redis", "stripe", "pragmatic-play", "sumsub"} {
		if err := r.Register(name, pass, WithOnRequest(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Register("ledger", pass, WithInterval(time.Hour)); err != nil {
		b.Fatal(err)
	}
	_ = r.Start(context.Background())
	h := r.Handler()
	// Warm the cache: every result is fresh from here on.
	if rec := do(h, "GET", "/readyz"); rec.Code != 200 {
		b.Fatalf("warm-up code %d", rec.Code)
	}
	benchHandler(b, h)
}

// BenchmarkReadyzScheduled: the default, six scheduled checks answered
// from their loops' results.
func BenchmarkReadyzScheduled(b *testing.B) {
	r, err := NewRegistry(WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	for _, name := range []string{"postgres", "redis", "stripe", "pragmatic-play", "sumsub", "ledger"} {
		if err := r.Register(name, pass, WithInterval(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	_ = r.Start(context.Background())
	h := r.Handler()
	if rec := do(h, "GET", "/readyz"); rec.Code != 200 {
		b.Fatalf("warm-up code %d", rec.Code)
	}
	benchHandler(b, h)
}

func benchHandler(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("code %d", rec.Code)
		}
	}
}
