package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/jackcode/igmon/checks/internal/ext"
)

// The hooks through which igmon's check subpackages (grpccheck, grpchealth,
// hostcheck) build on this package's unexported machinery. They live outside
// checks so that checks links neither gRPC nor gopsutil.
func init() {
	ext.NewBuilder = func(kind, name, component, measurement string, latencyOK bool) ext.Builder {
		b := newBuiltin(kind, name, component, measurement)
		b.latencyOK = latencyOK
		return &extBuilder{b: b}
	}
	ext.NewOption = func(name, owner string, payload any) any {
		return Option(foreignOption{name: name, owner: owner, payload: payload})
	}
	ext.DefaultName = defaultName
	ext.Latency = latency
	ext.EvaluateCheck = func(ctx context.Context, reg any, name string) (any, bool) {
		r := reg.(*Registry)
		e := r.snap.Load().byName[name]
		if e == nil {
			return nil, false
		}
		return r.evaluateOne(ctx, allEndpoints, e).Status, true
	}
}

// foreignOption is a subpackage's constructor-specific option: only the
// owner's builder takes its payload; everywhere else it is a
// configuration error naming it.
type foreignOption struct {
	name, owner string
	payload     any
}

func (o foreignOption) applySQL(c *sqlConfig) { o.apply(&c.s) }

func (o foreignOption) apply(s *settings) {
	s.fail(fmt.Errorf("%s: applies only to %s", o.name, o.owner))
}

// extBuilder is a builtin driven by a subpackage.
type extBuilder struct{ b builtin }

func (x *extBuilder) Fail(field, format string, a ...any) { x.b.fail(field, format, a...) }
func (x *extBuilder) Failed() bool                        { return x.b.err != nil }
func (x *extBuilder) SetMeasurement(m string)             { x.b.s.measurement = m }
func (x *extBuilder) LatencyWarn() time.Duration          { return x.b.latencyWarn }

func (x *extBuilder) Configure(opt any, own func(any) bool) {
	switch o := opt.(type) {
	case nil:
	case foreignOption:
		// Only the owner (the builder's own kind) takes the payload; a
		// second one of the same option is refused like any repeated one.
		if o.owner != x.b.kind {
			o.apply(&x.b.s)
		} else if x.b.s.once(o.name) && !own(o.payload) {
			x.b.fail(o.name, "%T is not this constructor's configuration", o.payload)
		}
	case sharedOption:
		o.configure(&x.b)
	case Option:
		o.apply(&x.b.s)
	default:
		x.b.fail("option", "%T is not a checks.Option", opt)
	}
}

func (x *extBuilder) Build(fn func(context.Context) error) (any, error) {
	c, err := x.b.build(fn)
	if err != nil {
		return nil, err
	}
	return c, nil
}
