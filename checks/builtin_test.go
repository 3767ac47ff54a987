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
	var nilPinger *sql.DB
	tests := []struct {
		name  string
		build func() (*Check, error)
		want  string // substring naming the problem
	}{
		{"sql nil db", func() (*Check, error) { return SQL(nil) }, "db: must not be nil"},
		{"sql typed nil db", func() (*Check, error) { return SQL(nilDB) }, "db: must not be nil"},
		{"sql empty query", func() (*Check, error) { return SQL(&sql.DB{}, WithQuery("")) }, "WithQuery: must not be empty"},
		{"pinger nil", func() (*Check, error) { return Pinger("redis", nil) }, "pinger: must not be nil"},
		{"pinger typed nil", func() (*Check, error) { return Pinger("redis", nilPinger) }, "pinger: must not be nil"},
		{"pinger bad name", func() (*Check, error) { return Pinger("redis:6379", &sql.DB{}) }, "name:"},
		{"func nil", func() (*Check, error) { return Func("psp", nil) }, "func: must not be nil"},
		{"goroutines max", func() (*Check, error) { return Goroutines(0, 0) }, "max: 0"},
		{"goroutines order", func() (*Check, error) { return Goroutines(200, 100) }, "wrong order"},
		{"latency", func() (*Check, error) { return SQL(&sql.DB{}, WithLatencyWarn(0)) }, "latency warn"},
		{"latency on goroutines", func() (*Check, error) { return Goroutines(0, 10, WithLatencyWarn(time.Second)) }, "does not apply to checks.Goroutines"},
		{"common option still validated", func() (*Check, error) { return SQL(&sql.DB{}, WithTimeout(0)) }, "timeout"},
		{"bad name option", func() (*Check, error) { return SQL(&sql.DB{}, WithName("a b")) }, `"a b": name`},
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

func TestBuiltinOptionsRejectedByNewCheck(t *testing.T) {
	for _, o := range []Option{WithName("x"), WithLatencyWarn(time.Second)} {
		if _, err := NewCheck("c", func(context.Context) error { return nil }, o); err == nil || !strings.Contains(err.Error(), "applies only") {
			t.Errorf("NewCheck accepted a built-in option: err = %v", err)
		}
	}
}

func TestBuiltinDefaults(t *testing.T) {
	tests := []struct {
		name      string
		build     func() (*Check, error)
		wantName  string
		component string
	}{
		{"sql", func() (*Check, error) { return SQL(&sql.DB{}) }, "database", componentDatastore},
		{"sql renamed", func() (*Check, error) { return SQL(&sql.DB{}, WithName("wallet-db")) }, "wallet-db", componentDatastore},
		{"goroutines", func() (*Check, error) { return Goroutines(0, 1000) }, "goroutines", componentSystem},
		{"pinger typed", func() (*Check, error) {
			return Pinger("redis", pingerFunc(func(context.Context) error { return nil }), WithComponentType("cache"))
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

// pingerFunc is a ContextPinger made of a function.
type pingerFunc func(context.Context) error

func (f pingerFunc) PingContext(ctx context.Context) error { return f(ctx) }

// TestRepeatedOptionRefusedNamingIt: every check option sets one value, so
// a second one of the same option would silently replace the first: each
// constructor refuses it, naming the option.
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
		{"own", func() (*Check, error) {
			return SQL(db, WithQuery("SELECT 1"), WithQuery("SELECT 2"))
		}, "WithQuery: given twice"},
		{"common on SQL", func() (*Check, error) {
			return SQL(db, WithEndpoints(Liveness), WithEndpoints(Readiness))
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
