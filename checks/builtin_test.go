package checks

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"
)

// built fails the test unless a built-in constructor succeeded.
func built(t *testing.T, c *Check, err error) *Check {
	t.Helper()
	if err != nil {
		t.Fatalf("constructor: %v", err)
	}
	return c
}

// runOnce runs c outside any registry with a generous parent deadline.
func runOnce(t *testing.T, c *Check) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.run(ctx)
}

func wantOutcome(t *testing.T, o outcome, st Status, target error) {
	t.Helper()
	if o.Status != st {
		t.Fatalf("status = %v (err %v), want %v", o.Status, o.Err, st)
	}
	if target != nil && !errors.Is(o.Err, target) {
		t.Fatalf("err = %v, want it to wrap %v", o.Err, target)
	}
}

func TestBuiltinConstructorErrors(t *testing.T) {
	var nilDB *sql.DB
	tests := []struct {
		name  string
		build func() (*Check, error)
		want  string // substring naming the problem
	}{
		{"sql nil db", func() (*Check, error) { return SQL(nil, "") }, "db: must not be nil"},
		{"sql typed nil db", func() (*Check, error) { return SQL(nilDB, "SELECT 1") }, "db: must not be nil"},
		{"func nil", func() (*Check, error) { return Func("psp", nil) }, "func: must not be nil"},
		{"func bad name", func() (*Check, error) { return Func("redis:6379", func(context.Context) error { return nil }) }, "name:"},
		{"goroutines max", func() (*Check, error) { return Goroutines(0, 0) }, "max: 0"},
		{"goroutines order", func() (*Check, error) { return Goroutines(200, 100) }, "wrong order"},
		{"latency", func() (*Check, error) { return SQL(&sql.DB{}, "", WithLatencyWarn(0)) }, "WithLatencyWarn: 0s must be positive"},
		{"common option still validated", func() (*Check, error) { return SQL(&sql.DB{}, "", WithTimeout(0)) }, "timeout"},
		{"bad name option", func() (*Check, error) { return SQL(&sql.DB{}, "", WithName("a b")) }, `"a b": name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			if err == nil {
				t.Fatalf("got check %q, want an error containing %q", c.Name(), tt.want)
			}
			if c != nil {
				t.Errorf("got a non-nil check with the error %v", err)
			}
			if !errors.Is(err, ErrInvalidCheck) {
				t.Errorf("error %v does not wrap ErrInvalidCheck", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q leaks a credential", err)
			}
		})
	}
}

func TestBuiltinDefaults(t *testing.T) {
	tests := []struct {
		name      string
		build     func() (*Check, error)
		wantName  string
		component string
	}{
		{"sql", func() (*Check, error) { return SQL(&sql.DB{}, "") }, "database", componentDatastore},
		{"sql renamed", func() (*Check, error) { return SQL(&sql.DB{}, "SELECT 1", WithName("wallet-db")) }, "wallet-db", componentDatastore},
		{"goroutines", func() (*Check, error) { return Goroutines(0, 1000) }, "goroutines", componentSystem},
		{"goroutines renamed", func() (*Check, error) { return Goroutines(0, 1000, WithName("leaks")) }, "leaks", componentSystem},
		{"func", func() (*Check, error) {
			return Func("redis", func(context.Context) error { return nil }, WithComponentType("cache"))
		}, "redis", "cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			c = built(t, c, err)
			if c.Name() != tt.wantName {
				t.Errorf("name = %q, want %q", c.Name(), tt.wantName)
			}
			if c.s.componentType != tt.component {
				t.Errorf("component = %q, want %q", c.s.componentType, tt.component)
			}
		})
	}
}

// TestRepeatedOptionRefusedNamingIt: every check option sets one value, so
// a second one of the same option would silently replace the first: each
// constructor refuses it, naming the option. (A misplaced option, such as
// WithLatencyWarn given to Goroutines or WithName given to Func, does not
// compile: each constructor takes its own option type; see
// TestOptionTypesAcceptExactlyTheirOptions.)
func TestRepeatedOptionRefusedNamingIt(t *testing.T) {
	fn := func(context.Context) error { return nil }
	db := sql.OpenDB(nil) // never used: construction fails first
	defer db.Close()
	tests := []struct {
		name  string
		build func() (*Check, error)
		want  string
	}{
		{"common on NewCheck", func() (*Check, error) {
			return NewCheck("c", fn, WithTimeout(time.Second), WithTimeout(2*time.Second))
		}, "WithTimeout: given twice"},
		{"common on a built-in", func() (*Check, error) {
			return Goroutines(0, 10, WithCritical(true), WithCritical(false))
		}, "WithCritical: given twice"},
		{"shared", func() (*Check, error) {
			return Func("f", fn, WithLatencyWarn(time.Second), WithLatencyWarn(time.Minute))
		}, "WithLatencyWarn: given twice"},
		{"name", func() (*Check, error) {
			return SQL(db, "", WithName("a"), WithName("b"))
		}, "WithName: given twice"},
		{"common on SQL", func() (*Check, error) {
			return SQL(db, "SELECT 1", WithEndpoints(Liveness), WithEndpoints(Readiness))
		}, "WithEndpoints: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			if c != nil || !errors.Is(err, ErrInvalidCheck) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got (%v, %v), want ErrInvalidCheck containing %q", c, err, tt.want)
			}
		})
	}
}
