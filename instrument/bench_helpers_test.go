package instrument

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// floor records the same instruments as Track, with attribute sets and
// option slices built once: the least any wrapper could cost.
type floor struct {
	d        *Dependency
	inFlight []metric.AddOption
	rec      []metric.RecordOption
	add      []metric.AddOption
}

func newFloor(d *Dependency, op string) *floor {
	s := d.operation(op)
	o := s.plain[OutcomeSuccess]
	return &floor{d: d, inFlight: s.inFlight, rec: o.rec, add: o.add}
}

func (f *floor) run(ctx context.Context, fn func(context.Context) error) {
	in := f.d.inst
	in.depInFlight.Add(ctx, 1, f.inFlight...)
	start := time.Now()
	_ = fn(ctx)
	in.depDuration.Record(ctx, time.Since(start).Seconds(), f.rec...)
	in.depCalls.Add(ctx, 1, f.add...)
	in.depInFlight.Add(ctx, -1, f.inFlight...)
}
