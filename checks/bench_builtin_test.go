package checks

import (
	"context"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/pgtest"
)

// benchVsBare runs the bare client call and then the check doing the same
// call against the same peer, and reports the check's ns/op as a multiple
// of the bare call's ("x-bare"), so the check's own cost (the run
// goroutine, timeout context, observation) is visible.
func benchVsBare(b *testing.B, bare func(context.Context) error, c *Check) {
	ctx := context.Background()
	var bareNs float64
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := bare(ctx); err != nil {
				b.Fatal(err)
			}
			n++
		}
		bareNs = float64(b.Elapsed().Nanoseconds()) / float64(n)
	})
	// The same bare call under a per-call deadline, as the check runs it:
	// a cancellable context costs something in net, net/http, gRPC and
	// pgx, and that part is not igmon's.
	b.Run("bare-deadline", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			err := bare(cctx)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if bareNs > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/bareNs, "x-bare")
		}
	})
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if o := c.run(ctx); o.Status != StatusPass {
				b.Fatal(o.Err)
			}
			n++
		}
		if bareNs > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/bareNs, "x-bare")
		}
	})
}

// benchOK returns a function that unwraps (v, err) or stops the benchmark.
func benchOK[T any](b *testing.B) func(T, error) T {
	return func(v T, err error) T {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
}

func BenchmarkSQLCheck(b *testing.B) {
	// Benchmarks are not CI's gate: skip even in CI when no server is set.
	if !pgtest.Configured() {
		b.Skip(pgtest.EnvDSN + " is not set")
	}
	db := openPostgres(b, pgtest.DSN(b))
	benchVsBare(b, db.PingContext, benchOK[*Check](b)(SQL(db, "")))
}

// BenchmarkFuncCheck is the engine's floor: a check whose body does
// nothing, against calling that nothing directly.
func BenchmarkFuncCheck(b *testing.B) {
	fn := func(context.Context) error { return nil }
	benchVsBare(b, fn, benchOK[*Check](b)(Func("noop", fn)))
}
