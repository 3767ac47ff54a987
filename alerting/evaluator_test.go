package alerting

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/metrictest"
	"github.com/jackcode/igmon/internal/series"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestThresholdForPendingFiringResolved(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{
		Name:        "HostCPUHigh",
		Condition:   &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9},
		For:         time.Minute,
		Labels:      map[string]string{"severity": "page", "team": "platform"},
		Annotations: map[string]string{"summary": "CPU at {{ percent .Value }} (> {{ percent .Threshold }})"},
	}})
	ctx := context.Background()
	m.cpu.Record(ctx, 0.5)
	if got := eval(t, e); len(got) != 0 {
		t.Fatalf("below threshold: got %v", got)
	}
	m.cpu.Record(ctx, 0.95)
	m.clk.Advance(15 * time.Second)
	if s := stateOf(eval(t, e), "HostCPUHigh", nil); s != StatePending {
		t.Fatalf("state = %v, want pending", s)
	}
	m.clk.Advance(45 * time.Second)
	if s := stateOf(eval(t, e), "HostCPUHigh", nil); s != StatePending {
		t.Fatalf("45s into for: %v, want pending", s)
	}
	m.clk.Advance(15 * time.Second)
	got := eval(t, e)
	a := find(got, "HostCPUHigh")
	if a == nil || a.State != StateFiring {
		t.Fatalf("after for: %+v, want firing", got)
	}
	if a.Annotations["summary"] != "CPU at 95.00% (> 90.00%)" {
		t.Errorf("summary = %q", a.Annotations["summary"])
	}
	if a.Labels["severity"] != "page" || a.Labels[LabelAlertName] != "HostCPUHigh" {
		t.Errorf("labels = %v", a.Labels)
	}
	if !a.ActiveAt.Equal(t0.Add(15*time.Second)) || !a.FiredAt.Equal(t0.Add(75*time.Second)) {
		t.Errorf("activeAt=%v firedAt=%v", a.ActiveAt, a.FiredAt)
	}
	m.cpu.Record(ctx, 0.4)
	m.clk.Advance(15 * time.Second)
	if s := stateOf(eval(t, e), "HostCPUHigh", nil); s != StateResolved {
		t.Fatalf("state = %v, want resolved", s)
	}
}

func TestPendingDropsBackWithoutFiring(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "Mem", For: time.Minute,
		Condition: &Threshold{Metric: mustSel(t, `system.memory.utilization`), Value: 0.9}}})
	m.mem.Record(context.Background(), 0.95)
	if s := stateOf(eval(t, e), "Mem", nil); s != StatePending {
		t.Fatalf("state = %v", s)
	}
	m.mem.Record(context.Background(), 0.1)
	m.clk.Advance(30 * time.Second)
	if got := eval(t, e); len(got) != 0 {
		t.Fatalf("pending that cleared must be inactive, got %v", got)
	}
}

func TestThresholdRatioOfGauges(t *testing.T) {
	m := newMeters(t)
	ctx := context.Background()
	pool := attribute.String("db.client.connection.pool.name", "wallet")
	m.poolConn.Add(ctx, 19, metric.WithAttributes(pool, attribute.String("db.client.connection.state", "used")))
	m.poolConn.Add(ctx, 1, metric.WithAttributes(pool, attribute.String("db.client.connection.state", "idle")))
	m.poolMax.Record(ctx, 20, metric.WithAttributes(pool))
	of := mustSel(t, `db.client.connection.max`)
	e := newEval(t, m, []Rule{{Name: "PoolSaturated", By: []string{"db.client.connection.pool.name"},
		Condition: &Threshold{Metric: mustSel(t, `db.client.connection.count{db.client.connection.state="used"}`), Of: &of, Value: 0.9}}})
	a := find(eval(t, e), "PoolSaturated")
	if a == nil || a.State != StateFiring || a.Value != 0.95 || a.Labels["db.client.connection.pool.name"] != "wallet" {
		t.Fatalf("got %+v", a)
	}
}

func TestRatioErrorRateWithMinRequests(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{
		Name: "DependencyErrorRate",
		By:   []string{"igmon.dependency.kind", "igmon.dependency.name"},
		Condition: &Ratio{
			Numerator:   mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout"}`),
			Denominator: mustSel(t, `igmon.dependency.calls`),
			Window:      5 * time.Minute, MinRequests: 100, Value: 0.05,
		},
		Annotations: map[string]string{"summary": "{{ index .Labels \"igmon.dependency.name\" }} errors {{ percent .Value }} over {{ .Window }}"},
	}})
	eval(t, e) // first collection: nothing recorded yet
	// 10 % errors but only 50 calls: guarded by MinRequests.
	m.call("stripe", "deposit", "success", 45, 0.1)
	m.call("stripe", "deposit", "error", 5, 0.1)
	m.call("adyen", "deposit", "success", 500, 0.1)
	m.clk.Advance(15 * time.Second)
	if got := eval(t, e); stateOf(got, "DependencyErrorRate", nil) != StateInactive {
		t.Fatalf("below min requests must not fire: %v", got)
	}
	m.call("stripe", "deposit", "success", 45, 0.1)
	m.call("stripe", "deposit", "timeout", 5, 0.1)
	m.clk.Advance(15 * time.Second)
	got := eval(t, e)
	a := find(got, "DependencyErrorRate")
	if a == nil || a.State != StateFiring || a.Labels["igmon.dependency.name"] != "stripe" || math.Abs(a.Value-0.1) > 1e-9 {
		t.Fatalf("got %+v", got)
	}
	if a.Annotations["summary"] != "stripe errors 10.00% over 5m0s" {
		t.Errorf("summary = %q", a.Annotations["summary"])
	}
	if stateOf(got, "DependencyErrorRate", map[string]string{"igmon.dependency.name": "adyen"}) != StateInactive {
		t.Error("healthy dependency fired")
	}
	// Five minutes of clean traffic later the window no longer holds the errors.
	for range 21 {
		m.call("stripe", "deposit", "success", 20, 0.1)
		m.clk.Advance(15 * time.Second)
		got = eval(t, e)
	}
	if s := stateOf(got, "DependencyErrorRate", map[string]string{"igmon.dependency.name": "stripe"}); s != StateResolved {
		t.Fatalf("state = %v, want resolved; value %v", s, find(got, "DependencyErrorRate"))
	}
}

func TestQuantileFromHistogram(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{
		Name: "DepositSlow", By: []string{"igmon.dependency.name"},
		Condition: &Quantile{Histogram: mustSel(t, `igmon.dependency.duration{igmon.dependency.operation="deposit"}`),
			Quantile: 0.95, Window: 5 * time.Minute, Value: 0.8, MinCount: 10},
	}})
	eval(t, e)
	m.call("stripe", "deposit", "success", 90, 0.2) // bucket (0.1, 0.25]
	m.call("stripe", "deposit", "success", 10, 1.5) // bucket (1, 2.5]
	m.clk.Advance(15 * time.Second)
	a := find(eval(t, e), "DepositSlow")
	// rank 95 of 100 lands in (1, 2.5] holding ranks 91..100: 1 + 1.5*(5/10) = 1.75
	if a == nil || a.State != StateFiring || math.Abs(a.Value-1.75) > 1e-9 {
		t.Fatalf("got %+v", a)
	}
}

// TestQuantileInProcessExponential: a Quantile rule fed by igmon's
// in-process reader reads a constant 1.5 s latency as p95 ≈ 1.5 s, from
// the exponential histogram that reader aggregates, although the
// instrument advises the dependency buckets; a reader with the explicit
// buckets (what exporters send) reads the same latency as 2.425 s, inside
// (1, 2.5].
func TestQuantileInProcessExponential(t *testing.T) {
	ip, err := exporters.NewInProcess(exporters.WithCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	exported := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(ip.Reader()), sdkmetric.WithReader(exported),
		sdkmetric.WithView(exporters.ExemplarView()))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	dur, err := mp.Meter("github.com/jackcode/igmon/monitor").Float64Histogram("igmon.dependency.duration", metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	rules := []Rule{{
		Name: "DepositSlow", By: []string{"igmon.dependency.name"},
		Condition: &Quantile{Histogram: mustSel(t, `igmon.dependency.duration{igmon.dependency.operation="deposit"}`),
			Quantile: 0.95, Window: 5 * time.Minute, Value: 1, MinCount: 10},
	}}
	inproc, err := NewEvaluator(rules, withClock(clk), WithMetricSource(metricSourceFunc(
		func(ctx context.Context, rm *metricdata.ResourceMetrics) error {
			got, err := ip.Collect(ctx)
			*rm = got
			return err
		})))
	if err != nil {
		t.Fatal(err)
	}
	explicit, err := NewEvaluator(rules, withClock(clk), WithMetricSource(exported))
	if err != nil {
		t.Fatal(err)
	}
	eval(t, inproc)
	eval(t, explicit)
	for range 4 {
		for range 50 {
			dur.Record(context.Background(), 1.5, depAttrs("payment", "stripe", "deposit", "success"))
		}
		clk.Advance(15 * time.Second)
		eval(t, inproc)
		eval(t, explicit)
	}
	a := find(inproc.Alerts(), "DepositSlow")
	if a == nil || a.State == StateInactive {
		t.Fatalf("in-process: %+v, want the rule pending or firing on p95 ≈ 1.5 s", a)
	}
	t.Logf("in-process p95 = %v (error %.3f%%)", a.Value, 100*math.Abs(a.Value-1.5)/1.5)
	if math.Abs(a.Value-1.5) > 0.05*1.5 {
		t.Errorf("in-process p95 = %v, want within 5%% of 1.5", a.Value)
	}
	if b := find(explicit.Alerts(), "DepositSlow"); b == nil || math.Abs(b.Value-2.425) > 1e-9 {
		t.Errorf("explicit buckets: %+v, want p95 2.425 (1 + 1.5·0.95)", b)
	}
}

func TestHistogramQuantileMath(t *testing.T) {
	bounds := []float64{0.1, 0.5, 1}
	histogramQuantile := func(q float64, bounds, counts []float64) float64 {
		h := series.Hist{Bounds: bounds, Counts: counts}
		return h.Quantile(q)
	}
	cases := []struct {
		q      float64
		counts []float64
		want   float64
	}{
		{0.5, []float64{10, 0, 0, 0}, 0.05},
		{0.5, []float64{0, 10, 0, 0}, 0.3},
		{0.99, []float64{0, 0, 0, 10}, 1},
		{0.9, []float64{5, 5, 0, 0}, 0.42},
	}
	for _, c := range cases {
		if got := histogramQuantile(c.q, bounds, c.counts); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("q=%v counts=%v: got %v want %v", c.q, c.counts, got, c.want)
		}
	}
	if !math.IsNaN(histogramQuantile(0.5, bounds, []float64{0, 0, 0, 0})) {
		t.Error("empty histogram must be NaN")
	}
}

func TestAbsenceSilentFailure(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{
		Name: "NoSuccessfulDeposits", By: []string{"igmon.dependency.name"},
		Condition: &Absence{
			Success:  mustSel(t, `igmon.dependency.calls{igmon.dependency.operation="deposit", igmon.dependency.outcome="success"}`),
			Requests: mustSel(t, `igmon.dependency.calls{igmon.dependency.operation="deposit"}`),
			Window:   10 * time.Minute, MinRequests: 5,
		},
	}})
	eval(t, e)
	m.call("stripe", "deposit", "success", 3, 0.1)
	// Deposits keep arriving, all declined by the PSP, for 10 minutes.
	var got []Alert
	for i := range 41 {
		m.call("stripe", "deposit", "declined", 2, 0.1)
		m.clk.Advance(15 * time.Second)
		got = eval(t, e)
		if i < 38 && stateOf(got, "NoSuccessfulDeposits", nil) != StateInactive {
			t.Fatalf("fired after %v while the window still holds successes", time.Duration(i+1)*15*time.Second)
		}
	}
	if s := stateOf(got, "NoSuccessfulDeposits", map[string]string{"igmon.dependency.name": "stripe"}); s != StateFiring {
		t.Fatalf("state = %v, want firing after 10m without success", s)
	}
	m.call("stripe", "deposit", "success", 1, 0.1)
	m.clk.Advance(15 * time.Second)
	if s := stateOf(eval(t, e), "NoSuccessfulDeposits", nil); s != StateResolved {
		t.Fatalf("state = %v after a success, want resolved", s)
	}
}

func TestAbsenceNeedsTraffic(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "NoDeposits", Condition: &Absence{
		Success:  mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="success"}`),
		Requests: mustSel(t, `igmon.dependency.calls`), Window: 10 * time.Minute}}})
	for range 50 {
		m.clk.Advance(15 * time.Second)
		if got := eval(t, e); len(got) != 0 {
			t.Fatalf("no traffic must not fire: %v", got)
		}
	}
}

type fakeChecks map[string]struct {
	status string
	since  time.Time
}

func (f fakeChecks) CheckStatus(name string) (string, time.Time, bool) {
	c, ok := f[name]
	return c.status, c.since, ok
}

func (f fakeChecks) CheckNames() []string {
	var n []string
	for k := range f {
		n = append(n, k)
	}
	return n
}

func TestCheckStateForDuration(t *testing.T) {
	m := newMeters(t)
	checks := fakeChecks{
		"postgres": {"fail", t0},
		"kyc":      {"warn", t0},
		"redis":    {"pass", t0},
	}
	e := newEval(t, m, []Rule{{Name: "CheckFailing",
		Condition: &CheckState{States: []string{"fail", "warn"}, For: 2 * time.Minute}}},
		WithCheckSource(checks))
	m.clk.Advance(time.Minute)
	if got := eval(t, e); len(got) != 0 {
		t.Fatalf("within For: %v", got)
	}
	m.clk.Advance(time.Minute)
	got := eval(t, e)
	for _, c := range []string{"postgres", "kyc"} {
		if s := stateOf(got, "CheckFailing", map[string]string{"igmon.check.name": c}); s != StateFiring {
			t.Errorf("%s: state %v", c, s)
		}
	}
	if s := stateOf(got, "CheckFailing", map[string]string{"igmon.check.name": "redis"}); s != StateInactive {
		t.Errorf("passing check: %v", s)
	}
}

func TestKeepFiringFor(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "CPU", KeepFiringFor: time.Minute,
		Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}}})
	ctx := context.Background()
	m.cpu.Record(ctx, 0.95)
	eval(t, e)
	m.cpu.Record(ctx, 0.1)
	for range 3 {
		m.clk.Advance(15 * time.Second)
		if s := stateOf(eval(t, e), "CPU", nil); s != StateFiring {
			t.Fatalf("within keep_firing_for: %v", s)
		}
	}
	m.clk.Advance(15 * time.Second)
	if s := stateOf(eval(t, e), "CPU", nil); s != StateResolved {
		t.Fatalf("after keep_firing_for: %v", s)
	}
}

func TestFlapDampingKeepsFiring(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "Flappy", Flap: FlapDamping{Threshold: 3, Window: 10 * time.Minute},
		Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}}})
	ctx := context.Background()
	var states []State
	var flapping bool
	for i := range 8 {
		v := 0.95
		if i%2 == 1 {
			v = 0.1
		}
		m.cpu.Record(ctx, v)
		got := eval(t, e)
		states = append(states, stateOf(got, "Flappy", nil))
		if a := find(got, "Flappy"); a != nil {
			flapping = a.Flapping
		}
		m.clk.Advance(30 * time.Second)
	}
	want := []State{StateFiring, StateResolved, StateFiring, StateResolved, StateFiring, StateFiring, StateFiring, StateFiring}
	for i := range want {
		if states[i] != want[i] {
			t.Fatalf("states = %v, want %v", states, want)
		}
	}
	if !flapping {
		t.Error("alert held by damping must be marked flapping")
	}
	// Quiet for a whole flap window: the alert finally resolves.
	m.cpu.Record(ctx, 0.1)
	var last State
	for range 25 {
		last = stateOf(eval(t, e), "Flappy", nil)
		m.clk.Advance(30 * time.Second)
	}
	if last != StateResolved {
		t.Fatalf("after a quiet window: %v", last)
	}
}

func TestSLOBurnRateMultiWindow(t *testing.T) {
	m := newMeters(t)
	errSel := mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome!="success"}`)
	e := newEval(t, m, []Rule{{
		Name: "DepositAvailability", By: []string{"igmon.dependency.name"},
		Condition: &SLO{Objective: 0.999, Total: mustSel(t, `igmon.dependency.calls{igmon.dependency.operation="deposit"}`),
			Errors: &errSel, MinEvents: 100},
	}})
	eval(t, e)
	// 2 % errors: burn 20 > 14.4 on both 1h and 5m, and > 6 on 6h/30m.
	// The 3d/6h ticket pair burns too (> 1).
	for range 20 {
		m.call("stripe", "deposit", "success", 98, 0.1)
		m.call("stripe", "deposit", "error", 2, 0.1)
		m.clk.Advance(15 * time.Second)
	}
	got := eval(t, e)
	page := stateOf(got, "DepositAvailability", map[string]string{"severity": "page"})
	ticket := stateOf(got, "DepositAvailability", map[string]string{"severity": "ticket"})
	if page != StateFiring || ticket != StateFiring {
		t.Fatalf("page=%v ticket=%v alerts=%v", page, ticket, got)
	}
	for _, a := range got {
		if math.Abs(a.Value-20) > 1e-6 {
			t.Errorf("%v burn = %v, want 20", a.Labels, a.Value)
		}
	}
}

func TestSLOMinEventsGuard(t *testing.T) {
	m := newMeters(t)
	errSel := mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome!="success"}`)
	e := newEval(t, m, []Rule{{Name: "LowTraffic",
		Condition: &SLO{Objective: 0.999, Total: mustSel(t, `igmon.dependency.calls`), Errors: &errSel, MinEvents: 100}}})
	eval(t, e)
	m.call("kyc", "verify", "error", 1, 0.1) // 1 of 10 = burn 100, but only 10 events
	m.call("kyc", "verify", "success", 9, 0.1)
	m.clk.Advance(time.Minute)
	if got := eval(t, e); len(got) != 0 {
		t.Fatalf("guarded window fired: %v", got)
	}
}

func TestSLOLatencyObjective(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "CheckoutLatency",
		Condition: &SLO{Objective: 0.99, LatencyThreshold: 0.5,
			Total:   mustSel(t, `http.server.request.duration{http.route="/deposit"}`),
			Windows: []BurnWindow{{Severity: "page", Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4}}}}})
	eval(t, e)
	ctx := context.Background()
	route := metric.WithAttributes(attribute.String("http.route", "/deposit"), attribute.String("http.request.method", "POST"))
	for range 80 {
		m.srvDur.Record(ctx, 0.1, route)
	}
	for range 20 {
		m.srvDur.Record(ctx, 2, route) // 20 % slower than 500 ms: burn 20
	}
	m.clk.Advance(time.Minute)
	a := find(eval(t, e), "CheckoutLatency")
	if a == nil || a.State != StateFiring || math.Abs(a.Value-20) > 1e-6 {
		t.Fatalf("got %+v", a)
	}
}

func TestBurnRateMath(t *testing.T) {
	if got := burnRate(0.0144, 0.999); math.Abs(got-14.4) > 1e-9 {
		t.Errorf("burnRate = %v", got)
	}
	const month = 720 * time.Hour
	for _, w := range defaultBurnWindows {
		got := budgetConsumed(w.Factor, w.Long, month)
		want := map[float64]float64{14.4: 0.02, 6: 0.05, 1: 0.10}[w.Factor]
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("budget consumed at %v× over %v = %v, want %v", w.Factor, w.Long, got, want)
		}
	}
	if got := timeToExhaustion(14.4, month); got != 50*time.Hour {
		t.Errorf("time to exhaustion = %v", got)
	}
	if got := errorRatioThreshold(14.4, 0.999); math.Abs(got-0.0144) > 1e-12 {
		t.Errorf("threshold = %v", got)
	}
}

func TestDeltaTemporalityAndCounterReset(t *testing.T) {
	m := newMeters(t, sdkmetric.WithTemporalitySelector(sdkmetric.DeltaTemporalitySelector))
	rule := Rule{Name: "Errors", Condition: &Ratio{
		Numerator:   mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="error"}`),
		Denominator: mustSel(t, `igmon.dependency.calls`), Window: 5 * time.Minute, Value: 0.3}}
	e := newEval(t, m, []Rule{rule})
	eval(t, e)
	m.call("stripe", "deposit", "success", 60, 0.1)
	m.call("stripe", "deposit", "error", 40, 0.1)
	m.clk.Advance(15 * time.Second)
	eval(t, e)
	m.call("stripe", "deposit", "success", 100, 0.1) // delta: only this interval arrives
	m.clk.Advance(15 * time.Second)
	a := find(eval(t, e), "Errors")
	if a == nil || math.Abs(a.Value-0.2) > 1e-9 {
		t.Fatalf("delta sum over window: %+v, want 40/200", a)
	}

	// A cumulative counter that restarts (process restart behind a proxy
	// reader): the drop must count as a reset, not a negative increase.
	clk := m.clk
	var vals []int64
	src := metricSourceFunc(func(_ context.Context, rm *metricdata.ResourceMetrics) error {
		v := vals[0]
		vals = vals[1:]
		attrs := attribute.NewSet(attribute.String("igmon.dependency.outcome", "error"))
		rm.ScopeMetrics = []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
			Name: "igmon.dependency.calls",
			Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true,
				DataPoints: []metricdata.DataPoint[int64]{{Attributes: attrs, Value: v}}},
		}}}}
		return nil
	})
	vals = []int64{100, 150, 20, 30}
	e2, err := NewEvaluator([]Rule{{Name: "ErrorBurst", Condition: &Ratio{
		Numerator: mustSel(t, `igmon.dependency.calls`), Denominator: mustSel(t, `igmon.dependency.calls`),
		Window: 5 * time.Minute, MinRequests: 0, Value: 0.5}}}, withClock(clk), WithMetricSource(src))
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		eval(t, e2)
		clk.Advance(15 * time.Second)
	}
	// 100 → 150 (+50) → reset to 20 (+20) → 30 (+10): the reset is no
	// negative increase (the store's own test checks the adjusted total).
	if a := find(e2.Alerts(), "ErrorBurst"); a == nil || a.Value != 1 {
		t.Fatalf("after a counter reset: %+v, want the ratio 1 firing", a)
	}
}

func TestInvalidRulesNameField(t *testing.T) {
	cases := []struct {
		rule  Rule
		field string
	}{
		{Rule{Condition: &Threshold{Metric: Selector{Metric: "x"}}}, "name"},
		{Rule{Name: "a"}, "kind"},
		{Rule{Name: "a", Condition: &Ratio{Numerator: Selector{Metric: "x"}, Denominator: Selector{Metric: "y"}}}, "ratio.window"},
		{Rule{Name: "a", Condition: &Quantile{Histogram: Selector{Metric: "x"}, Quantile: 1.5, Window: time.Minute}}, "quantile.quantile"},
		{Rule{Name: "a", Condition: &Threshold{Metric: Selector{Metric: "x"}, Op: "=="}}, "threshold.op"},
		{Rule{Name: "a", Condition: &SLO{Objective: 0.999, Total: Selector{Metric: "x"}}}, "slo.errors"},
		{Rule{Name: "a", Condition: &CheckState{States: []string{"down"}}}, "check_state.states[0]"},
		{Rule{Name: "a", Condition: &Threshold{Metric: Selector{Metric: "x"}}, Flap: FlapDamping{Threshold: 2}}, "flap.window"},
		{Rule{Name: "a", Condition: &Threshold{Metric: Selector{Metric: "x"}}, Annotations: map[string]string{"summary": "{{ .Value"}}, "annotations.summary"},
	}
	for _, c := range cases {
		err := c.rule.validate(newValidation())
		fe, ok := err.(*fieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("rule %+v: err %v, want field %s", c.rule, err, c.field)
		}
		if ok && !strings.Contains(err.Error(), c.field) {
			t.Errorf("error text %q does not name the field", err)
		}
	}
}

func TestAlertsMetricByState(t *testing.T) {
	m := newMeters(t)
	own := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(own))
	defer mp.Shutdown(context.Background())
	e := newEval(t, m, []Rule{{Name: "CPU", Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}}},
		WithMeterProvider(mp))
	m.cpu.Record(context.Background(), 0.99)
	eval(t, e)
	firing, ok := metrictest.Int64Points(t, own, metricAlerts, attrAlertState)["firing"]
	if !ok {
		firing = -1
	}
	if firing != 1 {
		t.Fatalf("igmon.alerts{state=firing} = %d, want 1", firing)
	}
}

func TestStartStop(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "CPU", Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}}},
		WithInterval(time.Millisecond))
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err == nil {
		t.Error("second Start must fail")
	}
	e.Stop()
	e.Stop()
}

// TestSLOValueIsFirstFiringPair: with two pairs of one severity firing,
// the alert's value is the first pair's long-window burn rate (what the
// exported PromQL yields), not the higher burn of a later pair.
func TestSLOValueIsFirstFiringPair(t *testing.T) {
	m := newMeters(t)
	errSel := mustSel(t, `igmon.dependency.calls{igmon.dependency.outcome="error"}`)
	e := newEval(t, m, []Rule{{Name: "Availability", Condition: &SLO{
		Objective: 0.99, Total: mustSel(t, `igmon.dependency.calls`), Errors: &errSel,
		Windows: []BurnWindow{
			{Severity: "page", Long: 20 * time.Minute, Short: 2 * time.Minute, Factor: 10},
			{Severity: "page", Long: time.Hour, Short: 10 * time.Minute, Factor: 2},
		}}}})
	eval(t, e)
	for i := range 240 { // an hour: 90% errors, then 20% for the last 30 minutes
		errs := 9
		if i >= 120 {
			errs = 2
		}
		m.call("stripe", "deposit", "error", errs, 0.1)
		m.call("stripe", "deposit", "success", 10-errs, 0.1)
		m.clk.Advance(15 * time.Second)
		eval(t, e)
	}
	a := find(e.Alerts(), "Availability")
	if a == nil || a.State != StateFiring {
		t.Fatalf("alert = %+v, want firing", a)
	}
	// First pair: 20% errors over 20m = burn 20. The hour's burn (~55)
	// is higher but belongs to the second pair.
	if a.Value < 18 || a.Value > 22 {
		t.Fatalf("value = %v, want the 20m burn rate ≈ 20", a.Value)
	}
}

// TestSharedSelectors: rules that read the same selector split by the same
// labels share one selector (summed once per cycle); each still decides on
// its own threshold, and a rule never alerts for the groups another rule's
// series created.
func TestSharedSelectors(t *testing.T) {
	m := newMeters(t)
	errs := `igmon.dependency.calls{igmon.dependency.outcome="error"}`
	payments := `igmon.dependency.calls{igmon.dependency.kind="payment"}`
	games := `igmon.dependency.calls{igmon.dependency.kind="game"}`
	by := []string{"igmon.dependency.name"}
	ratio := func(name, den string, v float64, by []string) Rule {
		return Rule{Name: name, By: by, Condition: &Ratio{Numerator: mustSel(t, errs), Denominator: mustSel(t, den),
			Window: 5 * time.Minute, Value: v}}
	}
	e := newEval(t, m, []Rule{
		ratio("PaymentErrorsWarn", payments, 0.1, by),
		ratio("PaymentErrorsCrit", payments, 0.5, by),
		ratio("GameErrors", games, 0.1, by),
		ratio("AllPaymentErrors", payments, 0.1, nil), // other By: its own grouping
	})
	// errs and payments by name (shared by three rules), games by name,
	// errs and payments unsplit.
	if got := selections(e); got != 5 {
		t.Fatalf("%d selectors for 8 rule selectors, want 5 shared ones", got)
	}
	eval(t, e)
	ctx := context.Background()
	add := func(kind, name, outcome string, n int) {
		for range n {
			m.calls.Add(ctx, 1, depAttrs(kind, name, "deposit", outcome))
		}
	}
	add("payment", "stripe", "error", 3) // 30 %
	add("payment", "stripe", "success", 7)
	add("payment", "adyen", "success", 10)
	add("game", "pragmatic", "error", 8) // 80 %
	add("game", "pragmatic", "success", 2)
	m.clk.Advance(15 * time.Second)
	got := eval(t, e)
	firing := map[string]bool{}
	for _, a := range got {
		if a.State == StatePending || a.State == StateFiring {
			firing[a.Rule+"/"+a.Labels["igmon.dependency.name"]] = true
		}
	}
	want := map[string]bool{"PaymentErrorsWarn/stripe": true, "GameErrors/pragmatic": true, "AllPaymentErrors/": true}
	if fmt.Sprint(firing) != fmt.Sprint(want) {
		t.Fatalf("active alerts %v, want %v", firing, want)
	}
	for _, a := range got {
		// Its numerator is every error (game ones too): 11 over 20 payment calls.
		if a.Rule == "AllPaymentErrors" && math.Abs(a.Value-0.55) > 1e-9 {
			t.Errorf("AllPaymentErrors value %v, want 0.55", a.Value)
		}
	}
}
