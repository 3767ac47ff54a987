package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	rtmetrics "runtime/metrics"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// runtime/metrics keys read by runtimeProbe, in sample order.
var runtimeKeys = [...]string{
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/os-stacks:bytes",
	"/gc/gomemlimit:bytes",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
	"/gc/heap/goal:bytes",
	"/sched/goroutines:goroutines",
	"/sched/gomaxprocs:threads",
	"/gc/gogc:percent",
	"/gc/cycles/total:gc-cycles",
}

const (
	rtTotal = iota
	rtReleased
	rtHeapStacks
	rtOSStacks
	rtMemLimit
	rtAllocBytes
	rtAllocObjects
	rtGCGoal
	rtGoroutines
	rtGOMAXPROCS
	rtGOGC
	rtGCCycles
)

// runtimeProbe reports the Go runtime metrics of the OTel Go runtime
// conventions (go.memory.*, go.goroutine.count, go.processor.limit,
// go.config.gogc) from runtime/metrics.
//
// It is written here rather than taken from contrib's runtime
// instrumentation because that package's Start cannot be stopped.
type runtimeProbe struct {
	reg metric.Registration

	mu      sync.Mutex
	samples []rtmetrics.Sample

	memUsed, memLimit, allocated, allocations, gcGoal metric.Int64Observable
	goroutines, procs, gogc, gcCycles                 metric.Int64Observable
	stack, other                                      metric.ObserveOption
}

// Runtime registers the Go runtime metrics on mp (nil means a no-op
// provider). runtime/metrics is cheap to read, so it is read on every
// collection, and there is nothing to configure.
func Runtime(mp metric.MeterProvider) (io.Closer, error) {
	r := &runtimeProbe{
		samples: make([]rtmetrics.Sample, len(runtimeKeys)),
		stack:   set(attribute.NewSet(attribute.String("go.memory.type", "stack"))),
		other:   set(attribute.NewSet(attribute.String("go.memory.type", "other"))),
	}
	for i, k := range runtimeKeys {
		r.samples[i].Name = k
	}
	m := meterFrom(mp)
	var errs []error
	mk := func(counter bool, name, unit, desc string) metric.Int64Observable {
		var i metric.Int64Observable
		var err error
		if counter {
			i, err = m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		} else {
			i, err = m.Int64ObservableUpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
		errs = append(errs, err)
		return i
	}
	r.memUsed = mk(false, "go.memory.used", "By", "Memory used by the Go runtime.")
	r.memLimit = mk(false, "go.memory.limit", "By", "Go runtime memory limit configured by the user, if a limit exists.")
	r.allocated = mk(true, "go.memory.allocated", "By", "Memory allocated to the heap by the application.")
	r.allocations = mk(true, "go.memory.allocations", "{allocation}", "Count of allocations to the heap by the application.")
	r.gcGoal = mk(false, "go.memory.gc.goal", "By", "Heap size target for the end of the GC cycle.")
	r.goroutines = mk(false, "go.goroutine.count", "{goroutine}", "Count of live goroutines.")
	r.procs = mk(false, "go.processor.limit", "{thread}", "The number of OS threads that can execute user-level Go code simultaneously.")
	r.gogc = mk(false, "go.config.gogc", "%", "Heap size target percentage configured by the user, otherwise 100.")
	r.gcCycles = mk(true, "go.memory.gc.cycles", "{gc_cycle}", "Number of completed GC cycles.")
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	reg, err := m.RegisterCallback(r.observe, r.memUsed, r.memLimit, r.allocated, r.allocations,
		r.gcGoal, r.goroutines, r.procs, r.gogc, r.gcCycles)
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	r.reg = reg
	return r, nil
}

// Close unregisters the runtime metrics. It is safe to call more than once.
func (r *runtimeProbe) Close() error {
	if r == nil || r.reg == nil {
		return nil
	}
	err := r.reg.Unregister()
	r.reg = nil
	return err
}

func (r *runtimeProbe) observe(_ context.Context, o metric.Observer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rtmetrics.Read(r.samples)
	v := func(i int) int64 {
		s := r.samples[i].Value
		if s.Kind() != rtmetrics.KindUint64 {
			return -1 // not supported by this Go version
		}
		u := s.Uint64()
		if u > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(u)
	}
	if total, rel := v(rtTotal), v(rtReleased); total >= 0 && rel >= 0 {
		used := total - rel
		stack := max(v(rtHeapStacks), 0) + max(v(rtOSStacks), 0)
		o.ObserveInt64(r.memUsed, stack, r.stack)
		o.ObserveInt64(r.memUsed, used-stack, r.other)
	}
	if l := v(rtMemLimit); l >= 0 && l != math.MaxInt64 {
		o.ObserveInt64(r.memLimit, l)
	}
	obs := func(inst metric.Int64Observable, i int) {
		if x := v(i); x >= 0 {
			o.ObserveInt64(inst, x)
		}
	}
	obs(r.allocated, rtAllocBytes)
	obs(r.allocations, rtAllocObjects)
	obs(r.gcGoal, rtGCGoal)
	obs(r.goroutines, rtGoroutines)
	obs(r.procs, rtGOMAXPROCS)
	obs(r.gcCycles, rtGCCycles)
	// GOGC=off reads as -1 through the uint64: report nothing then.
	if g := r.samples[rtGOGC].Value; g.Kind() == rtmetrics.KindUint64 && g.Uint64() <= math.MaxInt32 {
		o.ObserveInt64(r.gogc, int64(g.Uint64()))
	}
	return nil
}
