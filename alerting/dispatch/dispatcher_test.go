package dispatch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/metrictest"
)

type recorder struct {
	mu    sync.Mutex
	got   []*Notification
	errFn func(n int) error // error for the n-th call (0-based)
	calls int
}

func (r *recorder) Notify(_ context.Context, n *Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := r.calls
	r.calls++
	if r.errFn != nil {
		if err := r.errFn(i); err != nil {
			return err
		}
	}
	r.got = append(r.got, n)
	return nil
}

func (r *recorder) take() []*Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.got
	r.got = nil
	return g
}

func firing(name string, labels map[string]string) alerting.Alert {
	l := alerting.Labels{alerting.LabelAlertName: name}
	for k, v := range labels {
		l[k] = v
	}
	return alerting.Alert{Rule: name, Labels: l, Fingerprint: l.Fingerprint(), State: alerting.StateFiring, FiredAt: t0}
}

func resolved(a alerting.Alert) alerting.Alert {
	a.State, a.ResolvedAt = alerting.StateResolved, t0
	return a
}

type pipe struct {
	t   *testing.T
	clk *clock.Fake
	d   *Dispatcher
	rec *recorder
}

func newPipe(t *testing.T, opts ...Option) *pipe {
	t.Helper()
	p := &pipe{t: t, clk: clock.NewFake(t0), rec: &recorder{}}
	opts = append([]Option{withClock(p.clk), WithReceiver(Receiver{Name: "oncall", Notifier: p.rec})}, opts...)
	d, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	p.d = d
	t.Cleanup(func() { _ = d.Close() })
	return p
}

// at advances to t0+d, ticks, waits for delivery and returns what arrived.
func (p *pipe) at(d time.Duration) []*Notification {
	p.t.Helper()
	p.clk.Set(t0.Add(d))
	p.d.tick()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.d.Flush(ctx); err != nil {
		p.t.Fatal(err)
	}
	return p.rec.take()
}

func fps(n *Notification) map[string]alerting.State {
	m := map[string]alerting.State{}
	for _, a := range n.Alerts {
		m[a.Labels["instance"]] = a.State
	}
	return m
}

func TestGroupWaitIntervalDedupRepeat(t *testing.T) {
	p := newPipe(t, WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"team"},
		GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour}))
	a := firing("DepositErrors", map[string]string{"team": "payments", "instance": "a"})
	b := firing("DepositErrors", map[string]string{"team": "payments", "instance": "b"})
	p.d.Receive([]alerting.Alert{a})
	if got := p.at(10 * time.Second); len(got) != 0 {
		t.Fatalf("before group_wait: %d notifications", len(got))
	}
	p.clk.Set(t0.Add(20 * time.Second))
	p.d.Receive([]alerting.Alert{a, b})
	got := p.at(30 * time.Second)
	if len(got) != 1 || len(got[0].Alerts) != 2 || got[0].Reason != "new" || got[0].Receiver != "oncall" {
		t.Fatalf("first flush: %+v", got)
	}
	if got[0].GroupLabels["team"] != "payments" || got[0].CommonLabels["alertname"] != "DepositErrors" {
		t.Errorf("group labels %v common %v", got[0].GroupLabels, got[0].CommonLabels)
	}
	// Unchanged group: dedup until the repeat interval.
	for _, at := range []time.Duration{5*time.Minute + 30*time.Second, 30*time.Minute + 30*time.Second} {
		p.d.Receive([]alerting.Alert{a, b})
		if got := p.at(at); len(got) != 0 {
			t.Fatalf("unchanged group re-sent at %v", at)
		}
	}
	c := firing("DepositErrors", map[string]string{"team": "payments", "instance": "c"})
	p.d.Receive([]alerting.Alert{a, b, c})
	if got := p.at(31 * time.Minute); len(got) != 0 {
		t.Fatal("a change must wait for group_interval")
	}
	got = p.at(35*time.Minute + 30*time.Second)
	if len(got) != 1 || got[0].Reason != "changed" || len(got[0].Alerts) != 3 {
		t.Fatalf("after group_interval: %+v", got)
	}
	got = p.at(time.Hour + 35*time.Minute + 30*time.Second)
	if len(got) != 1 || got[0].Reason != "repeat" {
		t.Fatalf("repeat: %+v", got)
	}
}

func TestResolvedOnlyAfterNotifiedFiring(t *testing.T) {
	p := newPipe(t, WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"alertname"},
		GroupWait: 30 * time.Second, GroupInterval: time.Minute}))
	a := firing("PSPDown", map[string]string{"instance": "a"})
	b := firing("PSPDown", map[string]string{"instance": "b"})
	p.d.Receive([]alerting.Alert{a})
	if got := p.at(30 * time.Second); len(got) != 1 {
		t.Fatalf("want first notification, got %d", len(got))
	}
	p.d.Receive([]alerting.Alert{b})           // new, joins the group
	p.d.Receive([]alerting.Alert{resolved(b)}) // resolves before it was ever notified
	p.d.Receive([]alerting.Alert{resolved(a)})
	got := p.at(90 * time.Second)
	if len(got) != 1 || got[0].Status != "resolved" || got[0].Reason != "resolved" {
		t.Fatalf("got %+v", got)
	}
	if s := fps(got[0]); len(s) != 1 || s["a"] != alerting.StateResolved {
		t.Fatalf("resolved alerts = %v, want only a", s)
	}
	if got := p.at(10 * time.Minute); len(got) != 0 {
		t.Fatalf("resolved group must be gone, got %+v", got)
	}
}

func TestInhibitionSilenceMaintenance(t *testing.T) {
	src, _ := alerting.ParseMatchers(`alertname="DatabaseDown"`)
	tgt, _ := alerting.ParseMatchers(`alertname="QueryErrors"`)
	malta, err := time.LoadLocation("Europe/Malta")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	mw, _ := alerting.ParseMatchers(`team="games"`)
	p := newPipe(t,
		WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"instance"}, GroupWait: time.Second, GroupInterval: time.Minute}),
		WithInhibitRule(InhibitRule{Source: src, Target: tgt, Equal: []string{"db"}}),
		// Mondays 11:00–12:00 Malta time (10:00 UTC in winter).
		WithMaintenanceWindow(MaintenanceWindow{Name: "provider upgrades", Matchers: mw,
			Weekdays: []time.Weekday{time.Monday}, TimeOfDay: 11 * time.Hour, Duration: time.Hour, Location: malta}),
	)
	dbDown := firing("DatabaseDown", map[string]string{"db": "wallet", "instance": "dbdown"})
	qWallet := firing("QueryErrors", map[string]string{"db": "wallet", "instance": "qwallet"})
	qLedger := firing("QueryErrors", map[string]string{"db": "ledger", "instance": "qledger"})
	kyc := firing("KYCSlow", map[string]string{"team": "kyc", "instance": "kyc"})
	games := firing("LaunchFailures", map[string]string{"team": "games", "instance": "games"})
	sel, _ := alerting.ParseMatchers(`team="kyc"`)
	if _, err := p.d.Silences().Add(Silence{Matchers: sel, EndsAt: t0.Add(10 * time.Minute)}); !errors.Is(err, ErrInvalidSilence) {
		t.Fatalf("silence without author/comment: %v", err)
	}
	if _, err := p.d.Silences().Add(Silence{Matchers: sel, EndsAt: t0.Add(10 * time.Minute),
		CreatedBy: "ana", Comment: "vendor maintenance INC-42"}); err != nil {
		t.Fatal(err)
	}
	p.d.Receive([]alerting.Alert{dbDown, qWallet, qLedger, kyc, games})
	got := p.at(2 * time.Second)
	sent := map[string]bool{}
	for _, n := range got {
		for k := range fps(n) {
			sent[k] = true
		}
	}
	want := map[string]bool{"dbdown": true, "qledger": true}
	if len(sent) != len(want) || !sent["dbdown"] || !sent["qledger"] {
		t.Fatalf("sent %v, want %v (qwallet inhibited, kyc silenced, games in maintenance)", sent, want)
	}
	// After the silence and the window end, the muted alerts are notified.
	p.d.Receive([]alerting.Alert{dbDown, qWallet, qLedger, kyc, games})
	got = p.at(61 * time.Minute)
	sent = map[string]bool{}
	for _, n := range got {
		for k := range fps(n) {
			sent[k] = true
		}
	}
	if !sent["kyc"] || !sent["games"] || sent["qwallet"] {
		t.Fatalf("after expiry sent %v", sent)
	}
}

func TestMaintenanceWindowTimeZones(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	w := MaintenanceWindow{Name: "nightly", Weekdays: []time.Weekday{time.Sunday}, TimeOfDay: 23 * time.Hour,
		Duration: 2 * time.Hour, Location: ny}
	cases := []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2026, 3, 1, 23, 30, 0, 0, ny), true},        // Sunday 23:30 local
		{time.Date(2026, 3, 2, 0, 59, 0, 0, ny), true},         // crosses midnight into Monday
		{time.Date(2026, 3, 2, 1, 0, 0, 0, ny), false},         // ended
		{time.Date(2026, 3, 2, 23, 30, 0, 0, ny), false},       // Monday
		{time.Date(2026, 3, 9, 4, 30, 0, 0, time.UTC), true},   // 23:30 EST Sunday (before DST)
		{time.Date(2026, 3, 16, 3, 30, 0, 0, time.UTC), true},  // 23:30 EDT Sunday (after DST)
		{time.Date(2026, 3, 16, 4, 30, 0, 0, time.UTC), true},  // 00:30 EDT Monday
		{time.Date(2026, 3, 16, 5, 30, 0, 0, time.UTC), false}, // 01:30 EDT
	}
	for _, c := range cases {
		if got := w.activeAt(c.t); got != c.want {
			t.Errorf("Active(%v) = %v, want %v", c.t, got, c.want)
		}
	}
	oneOff := MaintenanceWindow{Name: "migration", Start: t0, End: t0.Add(time.Hour)}
	if !oneOff.activeAt(t0) || oneOff.activeAt(t0.Add(time.Hour)) || oneOff.activeAt(t0.Add(-time.Second)) {
		t.Error("one-off window bounds")
	}
}

func TestSilencesExpireAndList(t *testing.T) {
	clk := clock.NewFake(t0)
	ss := newSilences(clk)
	m, _ := alerting.ParseMatchers(`team="payments"`)
	id, err := ss.Add(Silence{Matchers: m, EndsAt: t0.Add(time.Hour), CreatedBy: "ana", Comment: "PSP migration"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ss.mutedBy(alerting.Labels{"team": "payments"}, clk.Now()); !ok {
		t.Fatal("silence does not mute")
	}
	if err := ss.Expire(id, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, ok := ss.mutedBy(alerting.Labels{"team": "payments"}, clk.Now()); ok {
		t.Fatal("expired silence still mutes")
	}
	if l := ss.List(); len(l) != 1 || l[0].ExpiredBy != "bob" {
		t.Fatalf("list = %+v", l)
	}
	if err := ss.Expire("nope", "bob"); !errors.Is(err, ErrSilenceNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestRetryBackoffRetryAfterAndFallback(t *testing.T) {
	var waits []time.Duration
	var mu sync.Mutex
	wait := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	primary := &recorder{errFn: func(n int) error {
		switch n {
		case 0:
			return errors.New("connection refused")
		case 1:
			return deliveryerr.WithRetryAfter(errors.New("HTTP 429"), 42*time.Second)
		case 2:
			return &deliveryerr.Error{Err: errors.New("HTTP 503"), StatusCode: 503}
		}
		return nil
	}}
	clk := clock.NewFake(t0)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	d, err := New(withClock(clk), withRetryWait(wait), alerting.WithMeterProvider(mp),
		WithReceiver(Receiver{Name: "pd", Notifier: primary}),
		WithRoute(Route{Receivers: []string{"pd"}, GroupWait: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Receive([]alerting.Alert{firing("X", nil)})
	clk.Advance(time.Second)
	d.tick()
	if err := d.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := primary.take(); len(got) != 1 {
		t.Fatalf("fail-3-times-then-ok receiver got %d notifications, want exactly 1", len(got))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 3 || waits[1] != 42*time.Second {
		t.Fatalf("waits = %v, want 3 with the second honouring Retry-After 42s", waits)
	}
	got := notificationCounts(t, reader)
	if got["pd/sent"] != 1 || got["pd/retried"] != 3 || got["pd/failed"] != 0 {
		t.Errorf("igmon.alert.notifications = %v", got)
	}
}

func notificationCounts(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	return metrictest.Int64Points(t, r, metricNotifications, attrAlertReceiver, attrOutcome)
}

func TestPermanentFailureGoesToFallback(t *testing.T) {
	var attempts atomic.Int32
	primary := NotifierFunc(func(context.Context, *Notification) error {
		attempts.Add(1)
		return deliveryerr.Permanent(errors.New("HTTP 404 channel_not_found"))
	})
	fallback := &recorder{}
	clk := clock.NewFake(t0)
	d, err := New(withClock(clk), withRetryWait(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
		WithReceiver(Receiver{Name: "slack", Notifier: primary, Fallback: fallback}),
		WithRoute(Route{Receivers: []string{"slack"}, GroupWait: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Receive([]alerting.Alert{firing("X", nil)})
	clk.Advance(time.Second)
	d.tick()
	_ = d.Flush(context.Background())
	if attempts.Load() != 1 {
		t.Fatalf("permanent failure retried: %d attempts", attempts.Load())
	}
	if got := fallback.take(); len(got) != 1 {
		t.Fatalf("fallback got %d", len(got))
	}
}

func TestDeadReceiverNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	stuck := NotifierFunc(func(ctx context.Context, _ *Notification) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-release:
			return errors.New("still dead")
		}
	})
	clk := clock.NewFake(t0)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	d, err := New(withClock(clk), alerting.WithMeterProvider(mp),
		WithReceiver(Receiver{Name: "dead", Notifier: stuck, QueueSize: 2, Timeout: time.Hour}),
		WithRoute(Route{Receivers: []string{"dead"}, GroupBy: []string{"instance"}, GroupWait: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	// 50 groups flush while the receiver hangs: Receive and Tick return,
	// the queue stays bounded.
	for i := range 50 {
		d.Receive([]alerting.Alert{firing("X", map[string]string{"instance": string(rune('A' + i))})})
		clk.Advance(time.Second)
		d.tick()
	}
	d.workers["dead"].mu.Lock()
	q := len(d.workers["dead"].queue)
	d.workers["dead"].mu.Unlock()
	if q > 2 {
		t.Fatalf("queue grew to %d", q)
	}
	// 50 notifications, one in flight, at most 2 queued: the rest dropped.
	if got := notificationCounts(t, reader)["dead/dropped"]; got < 47 {
		t.Fatalf("dropped = %d, want >= 47", got)
	}
	close(release)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSilencingPartOfGroupDoesNotResendEveryInterval(t *testing.T) {
	p := newPipe(t, WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"team"},
		GroupWait: time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour}))
	a := firing("LaunchErrors", map[string]string{"team": "games", "instance": "a"})
	b := firing("LaunchErrors", map[string]string{"team": "games", "instance": "b"})
	p.d.Receive([]alerting.Alert{a, b})
	if got := p.at(time.Second); len(got) != 1 || len(got[0].Alerts) != 2 {
		t.Fatalf("first: %+v", got)
	}
	m, _ := alerting.ParseMatchers(`instance="b"`)
	if _, err := p.d.Silences().Add(Silence{Matchers: m, EndsAt: t0.Add(3 * time.Hour), CreatedBy: "ana", Comment: "known"}); err != nil {
		t.Fatal(err)
	}
	got := p.at(61 * time.Second)
	if len(got) != 1 || got[0].Reason != "changed" || len(got[0].Alerts) != 1 {
		t.Fatalf("after silencing b: %+v", got)
	}
	for _, at := range []time.Duration{2 * time.Minute, 3 * time.Minute, 30 * time.Minute} {
		if got := p.at(at + time.Second); len(got) != 0 {
			t.Fatalf("re-sent at %v: %+v", at, got[0])
		}
	}
	// b resolves while silenced: the receiver was told it fired, so it
	// hears that it resolved.
	p.d.Receive([]alerting.Alert{resolved(b)})
	got = p.at(31*time.Minute + time.Second)
	if len(got) != 1 || fps(got[0])["b"] != alerting.StateResolved {
		t.Fatalf("resolve of a silenced, notified alert: %+v", got)
	}
}

// TestEvaluatorWithDeadReceiver runs evaluation cycles into a pipeline
// whose only receiver hangs: every cycle completes.
func TestEvaluatorWithDeadReceiver(t *testing.T) {
	clk := clock.NewFake(t0)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	cpu, err := mp.Meter("test").Float64Gauge("system.cpu.utilization", metric.WithUnit("1"))
	if err != nil {
		t.Fatal(err)
	}
	hang := NotifierFunc(func(ctx context.Context, _ *Notification) error { <-ctx.Done(); return ctx.Err() })
	d, err := New(withClock(clk),
		WithReceiver(Receiver{Name: "dead", Notifier: hang, QueueSize: 1, Timeout: time.Hour}),
		WithRoute(Route{Receivers: []string{"dead"}, GroupWait: time.Second, GroupInterval: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	e, err := alerting.NewEvaluator([]alerting.Rule{{Name: "CPU", Condition: &alerting.Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}}},
		withClock(clk), alerting.WithMetricSource(reader), alerting.WithSink(d))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		v := 0.95
		if i%2 == 1 {
			v = 0.1
		}
		cpu.Record(context.Background(), v)
		// Evaluate would block forever if delivery were synchronous.
		if err := e.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.Advance(15 * time.Second)
		d.tick()
	}
}
