package checks

import (
	"context"
	"time"
)

// Func is NewCheck for a call to a dependency: besides what fn returns, it
// observes the call's duration as "responseTime" in ms and accepts
// [WithLatencyWarn]. Use it for any client: a PingContext method
// (Func("sessions", rdb.PingContext)), a pgx pool's Ping, a PSP's status
// call, a Kafka metadata request. The name is an argument, so [WithName]
// does not compile here.
func Func(name string, fn func(ctx context.Context) error, opts ...FuncOption) (*Check, error) {
	b := newBuiltin("Func", name, componentComponent, "responseTime")
	configure(&b, opts, nil)
	if fn == nil {
		b.fail("func", "must not be nil")
	}
	warn := b.latencyWarn
	return b.build(func(ctx context.Context) error {
		start := time.Now()
		if err := fn(ctx); err != nil {
			return err
		}
		return latency(ctx, start, warn)
	})
}
