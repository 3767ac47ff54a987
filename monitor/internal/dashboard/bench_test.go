package dashboard

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

// BenchmarkStatusJSON compares a public status.json served from the shared
// snapshot (what N viewers, badges and event streams cost) with the
// baseline every detailed request pays: ask the Source, withhold/redact,
// encode.
func BenchmarkStatusJSON(b *testing.B) {
	src := newPlatformSource()
	src.fail()
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) // the cache never expires
	h := mustNew(b, src, withClock(clk), WithAuthorizer(bearer))
	run := func(b *testing.B, authorized bool) {
		req := httptest.NewRequest("GET", "/status.json", nil)
		if authorized {
			req.Header.Set("Authorization", "Bearer "+testToken)
		}
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	}
	b.Run("baseline=detailed_uncached", func(b *testing.B) { run(b, true) })
	b.Run("public_shared", func(b *testing.B) { run(b, false) })
}

// BenchmarkBadge measures a badge served from the shared snapshot.
func BenchmarkBadge(b *testing.B) {
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	h := mustNew(b, newPlatformSource(), withClock(clk))
	req := httptest.NewRequest("GET", "/badge/stripe.svg", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
}
