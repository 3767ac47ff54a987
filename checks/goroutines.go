package checks

import (
	"context"
	"fmt"
	"runtime"
)

type goroutinesConfig struct {
	builtin
	warn int
}

// WithGoroutinesWarn makes [Goroutines] warn above n goroutines; n must be
// below the fail limit.
func WithGoroutinesWarn(n int) Option {
	return specificOption[goroutinesConfig]{name: "WithGoroutinesWarn", owner: "Goroutines", fn: func(c *goroutinesConfig) {
		c.warn = n
		if n < 1 {
			c.fail("goroutines warn", "%d must be at least 1", n)
		}
	}}
}

// Goroutines fails when the process runs more than max goroutines: a
// steadily growing count means something is leaking or wedged. The count is
// observed as "count" in {goroutine}.
//
// The default name is "goroutines" and the component type system. A leak
// is worth a restart, so consider WithEndpoints(Liveness|Readiness).
func Goroutines(max int, opts ...Option) (*Check, error) {
	cfg := goroutinesConfig{builtin: newBuiltin("Goroutines", "goroutines", componentSystem, "count")}
	configure(&cfg, &cfg.builtin, opts)
	switch {
	case max < 1:
		cfg.fail("max", "%d must be at least 1", max)
	case cfg.warn >= max:
		cfg.fail("goroutines warn", "%d is not below the fail limit %d: thresholds in the wrong order", cfg.warn, max)
	}
	warn := cfg.warn
	return cfg.build(func(ctx context.Context) error {
		n := runtime.NumGoroutine()
		Observe(ctx, "count", float64(n), "{goroutine}")
		switch {
		case n > max:
			return fmt.Errorf("%w: %d goroutines, above %d", ErrThresholdExceeded, n, max)
		case warn > 0 && n > warn:
			return Warn(fmt.Errorf("%w: %d goroutines, above %d", ErrThresholdExceeded, n, warn))
		}
		return nil
	})
}
