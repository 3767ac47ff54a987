package checkstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackcode/igmon/checks"
)

// Built returns c, failing the test if its constructor returned err.
func Built(t testing.TB, c *checks.Check, err error) *checks.Check {
	t.Helper()
	if err != nil {
		t.Fatalf("constructor: %v", err)
	}
	return c
}

// RunOnce runs c outside any registry with a generous parent deadline.
func RunOnce(t testing.TB, c *checks.Check) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, c)
}

// WantOutcome fails the test unless o has status st and, when target is
// set, an error wrapping it.
func WantOutcome(t testing.TB, o Outcome, st checks.Status, target error) {
	t.Helper()
	if o.Status != st {
		t.Fatalf("status = %v (err %v), want %v", o.Status, o.Err, st)
	}
	if target != nil && !errors.Is(o.Err, target) {
		t.Fatalf("err = %v, want it to wrap %v", o.Err, target)
	}
}
