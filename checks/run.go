package checks

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/jackcode/igmon/internal/redact"
)

// panicError is the error reported for a check that panicked. It wraps
// errPanic; Stack is logged, never shown over HTTP.
type panicError struct {
	// Value is what the check passed to panic, unredacted: a panic
	// message may hold a DSN or a token. Error and the registry's log
	// show it only through the redactor.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error returns "check panicked: <value>", the value passed through the
// redactor.
func (p *panicError) Error() string { return "check panicked: " + p.redactedValue() }

// redactedValue is the panic value as text with credentials masked.
func (p *panicError) redactedValue() string { return redact.String(fmt.Sprint(p.Value)) }

// Unwrap returns errPanic.
func (p *panicError) Unwrap() error { return errPanic }

// runCheck runs c once under its timeout. The check body runs in its own
// goroutine so that a check that ignores its context cannot hold the caller
// past the timeout; exited, if non-nil, is called when that goroutine
// finally returns (the registry uses it to avoid piling up hung runs).
func runCheck(parent context.Context, c *Check, exited func()) outcome {
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.WithValue(parent, recorderKey{}, rec), c.s.timeout)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1) // buffered: an abandoned run must not block
	go func() {
		err := safeCall(ctx, c.fn)
		if exited != nil {
			exited() // before the send, so the caller never sees a finished run as running
		}
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done: // returned right at the deadline
		default:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
				err = fmt.Errorf("%w after %v", errTimeout, c.s.timeout)
			} else {
				err = fmt.Errorf("check cancelled: %w", context.Cause(ctx))
			}
		}
	}
	o := outcome{Start: start, Duration: time.Since(start), Err: err}
	// A check that returned the context's own error after the deadline is
	// a timeout too, whatever it wrapped it in.
	if err != nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, errTimeout) && parent.Err() == nil {
		o.Err = fmt.Errorf("%w after %v: %w", errTimeout, c.s.timeout, err)
	}
	switch {
	case err == nil:
		o.Status = StatusPass
	case isWarn(err):
		o.Status = StatusWarn
	default:
		o.Status = StatusFail
	}
	// Copy under the lock: an abandoned run may still call Detail later.
	rec.mu.Lock()
	o.Observation = rec.obs
	if len(rec.details) > 0 {
		o.Details = make(map[string]string, len(rec.details))
		for k, v := range rec.details {
			o.Details[k] = v
		}
	}
	rec.mu.Unlock()
	return o
}

func safeCall(ctx context.Context, fn checkFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}
