package instrument

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	igname "github.com/jackcode/igmon/internal/name"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/jackcode/igmon/internal/buildinfo"
	"github.com/jackcode/igmon/internal/clock"
)

type insufficientFunds struct{}

func (insufficientFunds) Error() string { return "insufficient funds" }

type vendorErr struct{ code string }

func (e vendorErr) Error() string     { return "vendor: " + e.code }
func (e vendorErr) ErrorType() string { return e.code }

func TestTrackRecordsDependencyMetrics(t *testing.T) {
	m, reader := newRig(t)
	clk := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	d := mustDep(t, m, KindPayment, "stripe", WithDefaultOperation("charge"), withClock(clk))
	ctx := context.Background()

	step := func(lat time.Duration, err error) func(context.Context) error {
		return func(context.Context) error { clk.Advance(lat); return err }
	}
	_ = d.Track(ctx, "deposit", step(20*time.Millisecond, nil))
	_ = d.Track(ctx, "deposit", step(30*time.Millisecond, nil))
	if err := d.Track(ctx, "deposit", step(10*time.Millisecond, Declined(insufficientFunds{}))); !errors.As(err, new(insufficientFunds)) {
		t.Fatalf("Track changed the error: %v", err)
	}
	_ = d.Track(ctx, "withdraw", step(time.Second, fmt.Errorf("psp: %w", context.DeadlineExceeded)))
	_ = d.Track(ctx, "withdraw", step(time.Millisecond, fmt.Errorf("psp: %w", context.Canceled)))
	_ = d.Track(ctx, "", step(time.Millisecond, vendorErr{"E42"}))
	_ = d.Track(WithOperation(ctx, "refund"), "", step(time.Millisecond, nil))
	v, err := TrackValue(ctx, d, "balance", func(context.Context) (int, error) { return 42, nil })
	if v != 42 || err != nil {
		t.Fatalf("TrackValue = %v, %v", v, err)
	}

	sm := scope(t, reader)
	dep := func(op, outcome, et string) attribute.Set {
		kvs := []attribute.KeyValue{
			attribute.String(attrDependencyKind, KindPayment), attribute.String(attrDependencyName, "stripe"),
			attribute.String(attrDependencyOperation, op), attribute.String(attrDependencyOutcome, outcome),
		}
		if et != "" {
			kvs = append(kvs, attribute.String("error.type", et))
		}
		return attribute.NewSet(kvs...)
	}
	opSet := func(op string) attribute.Set {
		return attribute.NewSet(attribute.String(attrDependencyKind, KindPayment), attribute.String(attrDependencyName, "stripe"),
			attribute.String(attrDependencyOperation, op))
	}
	calls := metricdata.Metrics{
		Name: metricDependencyCalls, Unit: "{call}", Description: "Calls to dependencies, by operation and outcome.",
		Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: dep("deposit", "success", ""), Value: 2},
			{Attributes: dep("deposit", "declined", "instrument.insufficientFunds"), Value: 1},
			{Attributes: dep("withdraw", "timeout", "timeout"), Value: 1},
			{Attributes: dep("withdraw", "canceled", "canceled"), Value: 1},
			{Attributes: dep("charge", "error", "E42"), Value: 1},
			{Attributes: dep("refund", "success", ""), Value: 1},
			{Attributes: dep("balance", "success", ""), Value: 1},
		}},
	}
	metricdatatest.AssertEqual(t, calls, metricNamed(t, sm, metricDependencyCalls), metricdatatest.IgnoreTimestamp())
	inflight := metricdata.Metrics{
		Name: metricDependencyInFlight, Unit: "{call}", Description: "Calls to dependencies in progress.",
		Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: false, DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: opSet("deposit")}, {Attributes: opSet("withdraw")}, {Attributes: opSet("charge")},
			{Attributes: opSet("refund")}, {Attributes: opSet("balance")},
		}},
	}
	metricdatatest.AssertEqual(t, inflight, metricNamed(t, sm, metricDependencyInFlight), metricdatatest.IgnoreTimestamp())

	dur := metricNamed(t, sm, metricDependencyDuration)
	if dur.Unit != "s" {
		t.Fatalf("duration unit %q", dur.Unit)
	}
	h := dur.Data.(metricdata.Histogram[float64])
	if want := dependencyDurationBuckets; fmt.Sprint(h.DataPoints[0].Bounds) != fmt.Sprint(want) {
		t.Fatalf("bounds %v, want %v", h.DataPoints[0].Bounds, want)
	}
	var timedOut bool
	for _, dp := range h.DataPoints {
		if dp.Attributes.Equals(ptr(dep("deposit", "success", ""))) {
			if dp.Count != 2 || dp.Sum < 0.0499 || dp.Sum > 0.0501 {
				t.Fatalf("deposit success: count %d sum %v, want 2 and 0.05s", dp.Count, dp.Sum)
			}
		}
		// The quantiles of Stats come from these durations (the
		// Monitor's tests check the engine's p99 of them).
		if dp.Attributes.Equals(ptr(dep("withdraw", "timeout", "timeout"))) {
			timedOut = dp.Count == 1 && dp.Sum > 0.9999 && dp.Sum < 1.0001
		}
	}
	if !timedOut {
		t.Fatal("the 1s timeout is not recorded as one withdraw call of 1s")
	}
	if sm.Scope != (instrumentation.Scope{Name: scopeName, Version: buildinfo.Version(), SchemaURL: buildinfo.SchemaURL}) {
		t.Fatalf("scope %+v", sm.Scope)
	}

	st := statsNow(t, m, d)
	if st.Calls != 7 || st.Success != 4 || st.Declined != 1 || st.Timeouts != 1 || st.Errors != 1 || st.Failures != 2 {
		t.Fatalf("stats %+v: want 7 calls (canceled left out), 4 ok, 1 declined, 1 timeout, 1 error", st)
	}
	if st.ErrorRate < 2.0/7-1e-9 || st.ErrorRate > 2.0/7+1e-9 {
		t.Fatalf("error rate %v, want 2/7", st.ErrorRate)
	}
}

func ptr[T any](v T) *T { return &v }

func TestTrackPanicIsRecordedAndRepanics(t *testing.T) {
	m, reader := newRig(t)
	d := mustDep(t, m, KindGameProvider, "pragmatic")
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the original panic", r)
			}
		}()
		_ = d.Track(context.Background(), "launch_game", func(context.Context) error { panic("boom") })
	}()
	sm := scope(t, reader)
	got := sumValues(t, metricNamed(t, sm, metricDependencyCalls))
	if got[depAttrs(KindGameProvider, "pragmatic", "launch_game", "error", "panic")] != 1 {
		t.Fatalf("panic not recorded: %v", got)
	}
	inflight := sumValues(t, metricNamed(t, sm, metricDependencyInFlight))
	for k, v := range inflight {
		if v != 0 {
			t.Fatalf("in flight %v = %d after the panic, want 0", k, v)
		}
	}
}

func TestErrorClassifier(t *testing.T) {
	m, reader := newRig(t)
	notFound := errors.New("player not found")
	d := mustDep(t, m, KindKYC, "sumsub", WithErrorClassifier(func(err error) Outcome {
		switch {
		case errors.Is(err, notFound):
			return OutcomeSuccess
		case errors.As(err, new(insufficientFunds)):
			return OutcomeDeclined
		}
		return OutcomeUnset
	}))
	ctx := context.Background()
	_ = d.Track(ctx, "verify", func(context.Context) error { return notFound })
	_ = d.Track(ctx, "verify", func(context.Context) error { return insufficientFunds{} })
	_ = d.Track(ctx, "verify", func(context.Context) error { return errors.New("boom") })
	got := sumValues(t, metricNamed(t, scope(t, reader), metricDependencyCalls))
	for _, want := range []attribute.Distinct{
		depAttrs(KindKYC, "sumsub", "verify", "success", ""),
		depAttrs(KindKYC, "sumsub", "verify", "declined", "instrument.insufficientFunds"),
		depAttrs(KindKYC, "sumsub", "verify", "error", "errors.errorString"),
	} {
		if got[want] != 1 {
			t.Errorf("missing series %v in %v", want, got)
		}
	}
	if st := statsNow(t, m, d); st.Failures != 1 || st.Declined != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOperationsAreBounded(t *testing.T) {
	m, reader := newRig(t)
	fixed := mustDep(t, m, KindPayment, "fixed", WithOperations("deposit", "withdraw"))
	free := mustDep(t, m, KindPayment, "free")
	ctx := context.Background()
	nop := func(context.Context) error { return nil }
	for i := range 500 {
		_ = fixed.Track(ctx, fmt.Sprintf("op%d", i), nop)
		_ = free.Track(ctx, fmt.Sprintf("op%d", i), nop)
	}
	_ = fixed.Track(ctx, "deposit", nop)
	_ = free.Track(ctx, "has space", nop)             // invalid charset
	_ = free.Track(ctx, strings.Repeat("x", 65), nop) // too long
	calls := metricNamed(t, scope(t, reader), metricDependencyCalls)
	got := sumValues(t, calls)
	if got[depAttrs(KindPayment, "fixed", "_OTHER", "success", "")] != 500 || got[depAttrs(KindPayment, "fixed", "deposit", "success", "")] != 1 {
		t.Fatalf("fixed operations not enforced: %v", got)
	}
	freeSeries := seriesWhere(t, calls, attrDependencyName, "free")
	if freeSeries != maxOperations+1 {
		t.Fatalf("free dependency has %d series, want %d operations + _OTHER", freeSeries, maxOperations)
	}
	if got[depAttrs(KindPayment, "free", "_OTHER", "success", "")] != 500-maxOperations+2 {
		t.Fatalf("_OTHER count %d", got[depAttrs(KindPayment, "free", "_OTHER", "success", "")])
	}
}

func TestErrorTypesFromMethodsAreBounded(t *testing.T) {
	m, reader := newRig(t)
	d := mustDep(t, m, KindPayment, "psp")
	for i := range 100 {
		_ = d.Track(context.Background(), "deposit", func(context.Context) error { return vendorErr{fmt.Sprintf("E%d", i)} })
	}
	_ = d.Track(context.Background(), "deposit", func(context.Context) error { return vendorErr{"bad value!"} })
	got := sumValues(t, metricNamed(t, scope(t, reader), metricDependencyCalls))
	if len(got) != maxErrorTypes+1 {
		t.Fatalf("%d series, want %d error types + _OTHER", len(got), maxErrorTypes)
	}
	if n := got[depAttrs(KindPayment, "psp", "deposit", "error", "_OTHER")]; n != 100-maxErrorTypes+1 {
		t.Fatalf("_OTHER = %d", n)
	}
}

func TestNilDependencyPassesThrough(t *testing.T) {
	var d *Dependency
	called := false
	if err := d.Track(context.Background(), "x", func(context.Context) error { called = true; return nil }); err != nil || !called {
		t.Fatal("nil dependency did not call fn")
	}
	if v, _ := TrackValue(context.Background(), d, "x", func(context.Context) (int, error) { return 7, nil }); v != 7 {
		t.Fatal("nil dependency TrackValue")
	}
	if d.Transport(nil) == nil {
		t.Fatal("nil dependency Transport returned nil")
	}
	if d.Stats() != (Stats{}) {
		t.Fatal("nil dependency stats")
	}
}

func TestDependencyValidation(t *testing.T) {
	tests := []struct {
		name, kind, dep string
		opts            []DependencyOption
		field           string
	}{
		{"empty name", KindPayment, "", nil, "name"},
		{"long name", KindPayment, strings.Repeat("a", igname.MaxLen+1), nil, "name"},
		{"bad byte", KindPayment, "stripe eu", nil, "name"},
		{"empty kind", "", "x1", nil, "kind"},
		{"bad kind", "pay/ment", "x2", nil, "kind"},
		{"bad default op", KindPayment, "x3", []DependencyOption{WithDefaultOperation("a b")}, "WithDefaultOperation"},
		{"no ops", KindPayment, "x4", []DependencyOption{WithOperations()}, "WithOperations"},
		{"bad op", KindPayment, "x5", []DependencyOption{WithOperations("ok", "")}, "WithOperations"},
		{"default not in ops", KindPayment, "x6", []DependencyOption{WithOperations("a"), WithDefaultOperation("b")}, "WithDefaultOperation"},
		{"nil classifier", KindPayment, "x7", []DependencyOption{WithClassifier(nil)}, "WithClassifier"},
		{"nil error classifier", KindPayment, "x8", []DependencyOption{WithErrorClassifier(nil)}, "WithErrorClassifier"},
		{"host with port", KindPayment, "x11", []DependencyOption{WithHosts("api.psp.com:443")}, "WithHosts"},
		{"nil provider", KindPayment, "x12", []DependencyOption{WithMeterProvider(nil)}, "WithMeterProvider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDependency(tt.kind, tt.dep, tt.opts...)
			if !errors.Is(err, errInvalidDependency) {
				t.Fatalf("error %v, want %v", err, errInvalidDependency)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("error %q does not name %q", err, tt.field)
			}
		})
	}
}

// TestMonitorInstrumentationRefusesAnotherProvider: what a Monitor builds
// records into the Monitor's provider, so WithMeterProvider there is an
// error naming the option, not an option silently ignored.
func TestMonitorInstrumentationRefusesAnotherProvider(t *testing.T) {
	m, _ := newRig(t)
	other := sdkmetric.NewMeterProvider()
	defer func() { _ = other.Shutdown(context.Background()) }()
	if _, err := m.Dependency(KindPayment, "psp", WithMeterProvider(other)); err == nil || !strings.Contains(err.Error(), "WithMeterProvider") {
		t.Fatalf("dependency: error %v does not name WithMeterProvider", err)
	}
	if _, err := m.Middleware(http.NotFoundHandler(), WithMeterProvider(other)); err == nil || !strings.Contains(err.Error(), "WithMeterProvider") {
		t.Fatalf("middleware: error %v does not name WithMeterProvider", err)
	}
}

// TestTrackConcurrent hammers one dependency from many goroutines while
// others read Stats and collect; run with -race.
func TestTrackConcurrent(t *testing.T) {
	m, reader := newRig(t)
	d := mustDep(t, m, KindGameProvider, "evolution")
	const goroutines, calls = 16, 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = d.Stats()
				_ = scope(t, reader)
			}
		}
	})
	boom := errors.New("boom")
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				op := fmt.Sprintf("op%d", i%8)
				var err error
				if (g+i)%10 == 0 {
					err = boom
				}
				_ = d.Track(context.Background(), op, func(context.Context) error { return err })
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	var total int64
	for _, v := range sumValues(t, metricNamed(t, scope(t, reader), metricDependencyCalls)) {
		total += v
	}
	if total != goroutines*calls {
		t.Fatalf("recorded %d calls, want %d", total, goroutines*calls)
	}
	if st := statsNow(t, m, d); st.Calls != goroutines*calls || st.Errors != goroutines*calls/10 {
		t.Fatalf("stats %+v", st)
	}
}

// TestTrackAllocatesNoMoreThanFloor compares allocations (deterministic)
// of Track with recording the same instruments directly.
func TestTrackAllocatesNoMoreThanFloor(t *testing.T) {
	m, _ := newRig(t)
	d := mustDep(t, m, KindPayment, "psp")
	ctx := context.Background()
	nop := func(context.Context) error { return nil }
	_ = d.Track(ctx, "deposit", nop) // warm up the series
	f := newFloor(d, "deposit")
	floor := testing.AllocsPerRun(1000, func() { f.run(ctx, nop) })
	track := testing.AllocsPerRun(1000, func() { _ = d.Track(ctx, "deposit", nop) })
	if track > floor {
		t.Fatalf("Track allocates %v per call, the floor %v", track, floor)
	}
	err := errors.New("boom")
	fail := func(context.Context) error { return err }
	_ = d.Track(ctx, "deposit", fail)
	if a := testing.AllocsPerRun(1000, func() { _ = d.Track(ctx, "deposit", fail) }); a > floor {
		t.Fatalf("a failing Track allocates %v per call, the floor %v", a, floor)
	}
}
