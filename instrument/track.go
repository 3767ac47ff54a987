package instrument

import (
	"context"
	"time"
)

type operationKey struct{}

// WithOperation returns a context that names the operation (deposit,
// withdraw, launch_game, verify, ...) of the dependency calls made with it.
// Transport reads it from the request's context; Track uses it when its op
// argument is "".
func WithOperation(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

// operationFrom returns the operation set by WithOperation, if any.
func operationFrom(ctx context.Context) (string, bool) {
	op, ok := ctx.Value(operationKey{}).(string)
	return op, ok
}

// call is one tracked call between begin and end; it lives on the stack.
type call struct {
	d     *Dependency
	op    *opState
	start time.Time
}

func (d *Dependency) begin(ctx context.Context, op string) call {
	s := d.operation(op)
	d.inst.depInFlight.Add(ctx, 1, s.inFlight...)
	return call{d: d, op: s, start: d.now()}
}

// end records the call and returns its latency in seconds.
func (c *call) end(ctx context.Context, o Outcome, errType string) float64 {
	lat := c.d.now().Sub(c.start)
	c.record(ctx, lat, o, errType)
	return lat.Seconds()
}

// record records the call with its latency. For a Transport response
// whose outcome is only known once its body has been read, the latency
// stops at the headers and the call is recorded at the body's end.
func (c *call) record(ctx context.Context, lat time.Duration, o Outcome, errType string) {
	oo := c.op.opts(o, errType)
	c.d.inst.depDuration.Record(ctx, lat.Seconds(), oo.rec...)
	c.d.inst.depCalls.Add(ctx, 1, oo.add...)
	c.d.inst.depInFlight.Add(ctx, -1, c.op.inFlight...)
	if w := c.d.win; w != nil {
		w.record(c.start.Add(lat), lat, o)
	}
}

// classifyError returns the outcome and error.type of a Track result.
func (d *Dependency) classifyError(err error) (Outcome, string) {
	if err == nil {
		return OutcomeSuccess, ""
	}
	info := inspect(err)
	o := OutcomeUnset
	if d.cfg.errClassifier != nil {
		o = d.cfg.errClassifier(err)
	}
	if !o.valid() {
		o = info.outcome()
	}
	if o == OutcomeSuccess {
		return o, ""
	}
	return o, d.boundErrorType(info.errorType())
}

// Track calls fn and records the call as operation op ("" for the
// operation in ctx, else the default): duration, outcome (classified from
// fn's error, see WithErrorClassifier and Declined) and in-flight count,
// the figures passive health judges. It returns fn's error unchanged. Use it for
// clients that are not plain HTTP: gRPC, vendor SDKs, database calls.
//
// If fn panics, the call is recorded as an error with error.type "panic"
// and the panic continues.
func (d *Dependency) Track(ctx context.Context, op string, fn func(context.Context) error) error {
	if d == nil {
		return fn(ctx)
	}
	if op == "" {
		op, _ = operationFrom(ctx)
	}
	c := d.begin(ctx, op)
	done := false
	defer func() {
		if !done {
			c.end(ctx, OutcomeError, errorTypePanic)
		}
	}()
	err := fn(ctx)
	done = true
	o, et := d.classifyError(err)
	c.end(ctx, o, et)
	return err
}

// TrackValue is Track for a function that also returns a value.
func TrackValue[T any](ctx context.Context, d *Dependency, op string, fn func(context.Context) (T, error)) (T, error) {
	if d == nil {
		return fn(ctx)
	}
	if op == "" {
		op, _ = operationFrom(ctx)
	}
	c := d.begin(ctx, op)
	done := false
	defer func() {
		if !done {
			c.end(ctx, OutcomeError, errorTypePanic)
		}
	}()
	v, err := fn(ctx)
	done = true
	o, et := d.classifyError(err)
	c.end(ctx, o, et)
	return v, err
}

// outcome classifies a call's error as Track does, without the
// error.type it would also record.
func (d *Dependency) outcome(err error) Outcome {
	if err == nil {
		return OutcomeSuccess
	}
	o := OutcomeUnset
	if d.cfg.errClassifier != nil {
		o = d.cfg.errClassifier(err)
	}
	if !o.valid() {
		info := inspect(err)
		o = info.outcome()
	}
	return o
}
