package checks

import (
	"context"
	"time"
)

type funcConfig struct{ builtin }

// Func is NewCheck for a call to a dependency: besides what fn returns, it
// observes the call's duration as "responseTime" in ms and accepts
// [WithLatencyWarn]. Use it for clients without a ping method: a PSP's
// status call, a Kafka metadata request.
func Func(name string, fn func(ctx context.Context) error, opts ...Option) (*Check, error) {
	cfg := funcConfig{builtin: newBuiltin("Func", name, componentComponent, "responseTime")}
	cfg.latencyOK = true
	configure(&cfg, &cfg.builtin, opts)
	if fn == nil {
		cfg.fail("func", "must not be nil")
	}
	warn := cfg.latencyWarn
	return cfg.build(func(ctx context.Context) error {
		start := time.Now()
		if err := fn(ctx); err != nil {
			return err
		}
		return latency(ctx, start, warn)
	})
}
