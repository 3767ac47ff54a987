package checks

import (
	"context"
	"fmt"
	"runtime"
)

// Goroutines fails when the process runs more than max goroutines, and
// warns above warn (0: no warning; it must be below max): a steadily
// growing count means something is leaking or wedged. The count is
// observed as "count" in {goroutine}.
//
// The default name is "goroutines" and the component type system. A leak
// is worth a restart, so consider WithEndpoints(Liveness|Readiness).
func Goroutines(warn, max int, opts ...BuiltinOption) (*Check, error) {
	return goroutines(runtime.NumGoroutine, warn, max, opts...)
}

// goroutines is Goroutines counting with count: the tests give it a count
// of their own, since the process's changes under them as goroutines of
// earlier tests wind down.
func goroutines(count func() int, warn, max int, opts ...BuiltinOption) (*Check, error) {
	cfg := newBuiltin("Goroutines", "goroutines", componentSystem, "count")
	configure(&cfg, opts, nil)
	switch {
	case max < 1:
		cfg.fail("max", "%d must be at least 1", max)
	case warn < 0:
		cfg.fail("warn", "%d must not be negative", warn)
	case warn >= max:
		cfg.fail("warn", "%d is not below the fail limit %d: thresholds in the wrong order", warn, max)
	}
	return cfg.build(func(ctx context.Context) error {
		n := count()
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
