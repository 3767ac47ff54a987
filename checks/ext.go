package checks

import (
	"context"
	"time"

	"github.com/jackcode/igmon/checks/internal/ext"
)

// The hooks through which igmon's check subpackages (grpccheck, grpchealth,
// hostcheck) build on this package's unexported machinery. They live outside
// checks so that checks links neither gRPC nor gopsutil.
func init() {
	ext.NewBuilder = func(kind, name, component, measurement string) ext.Builder {
		return &extBuilder{b: newBuiltin(kind, name, component, measurement)}
	}
	ext.NewOption = func(name, owner string, payload any) any {
		o := foreignOption{name: name, owner: owner, payload: payload}
		switch owner {
		case "hostcheck.Memory":
			return MemoryOption(memoryOnly{o})
		case "hostcheck.DiskFree":
			return DiskOption(diskOnly{o})
		}
		panic("checks: no option type for " + owner)
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
// owner's builder takes its payload. Its type (memoryOnly, diskOnly) has
// the marker of the owner's option type only, so it cannot be given to
// another constructor.
type foreignOption struct {
	name, owner string
	payload     any
}

type (
	memoryOnly struct{ foreignOption }
	diskOnly   struct{ foreignOption }
)

func (memoryOnly) memoryOption() {}
func (diskOnly) diskOption()     {}

// extBuilder is a builtin driven by a subpackage.
type extBuilder struct{ b builtin }

func (x *extBuilder) Fail(field, format string, a ...any) { x.b.fail(field, format, a...) }
func (x *extBuilder) Failed() bool                        { return x.b.err != nil }
func (x *extBuilder) SetMeasurement(m string)             { x.b.s.measurement = m }
func (x *extBuilder) LatencyWarn() time.Duration          { return x.b.latencyWarn }

func (x *extBuilder) Configure(opt any, own func(any) bool) {
	configure(&x.b, []any{opt}, func(o any) bool {
		var f foreignOption
		switch o := o.(type) {
		case memoryOnly:
			f = o.foreignOption
		case diskOnly:
			f = o.foreignOption
		default:
			return false
		}
		// Only the owner (the builder's own kind) takes the payload; the
		// option types keep others out at compile time. A second one of
		// the same option is refused like any repeated one.
		if f.owner != x.b.kind {
			x.b.fail(f.name, "applies only to %s", f.owner)
		} else if x.b.s.once(f.name) && !own(f.payload) {
			x.b.fail(f.name, "%T is not this constructor's configuration", f.payload)
		}
		return true
	})
}

func (x *extBuilder) Build(fn func(context.Context) error) (any, error) {
	c, err := x.b.build(fn)
	if err != nil {
		return nil, err
	}
	return c, nil
}
