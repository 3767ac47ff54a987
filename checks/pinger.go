package checks

import (
	"context"
	"fmt"
	"reflect"
	"time"
)

// ContextPinger is anything that can ping its peer: *sql.DB, and most
// database, cache and broker clients. A client whose ping method has
// another name (pgxpool's Ping) goes through [Func] instead.
type ContextPinger interface {
	PingContext(ctx context.Context) error
}

type pingerConfig struct{ builtin }

// Pinger checks any client with a PingContext method (Redis, Kafka, a PSP
// SDK) without igmon depending on its driver. The round trip is observed as
// "responseTime" in ms. The component type defaults to component; set
// WithComponentType to say what it is.
func Pinger(name string, p ContextPinger, opts ...Option) (*Check, error) {
	cfg := pingerConfig{builtin: newBuiltin("Pinger", name, componentComponent, "responseTime")}
	cfg.latencyOK = true
	configure(&cfg, &cfg.builtin, opts)
	if isNil(p) {
		cfg.fail("pinger", "must not be nil")
	}
	warn := cfg.latencyWarn
	return cfg.build(func(ctx context.Context) error {
		start := time.Now()
		if err := p.PingContext(ctx); err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		return latency(ctx, start, warn)
	})
}

// isNil reports whether v is nil or an interface holding a nil pointer,
// func, map, chan or slice, so a typed nil fails at construction rather
// than panicking in a run.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
