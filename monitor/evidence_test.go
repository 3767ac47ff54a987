package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/series"
)

// codePSP is a payment provider answering with the status code it is set
// to.
func codePSP(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var code atomic.Int32
	code.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	t.Cleanup(srv.Close)
	return srv, &code
}

// errorTypesLine returns the evidence line about error types, or "".
func errorTypesLine(ev []string) string {
	for _, l := range ev {
		if strings.HasPrefix(l, "top error types") {
			return l
		}
	}
	return ""
}

func TestEvidenceCountsErrorTypesOverTheAlertWindow(t *testing.T) {
	fc := clock.NewFake(alT0)
	psp, code := codePSP(t)
	rules := []alerting.Rule{
		paymentErrorRule(t), // window 1m
		{Name: "StripeCheckDown", Condition: &alerting.CheckState{Checks: []string{"stripe"}}}, // no window: 10m
		{Name: "PaymentsSLO", Condition: &alerting.SLO{Objective: 0.99,
			Total:   alerting.Selector{Metric: "igmon.dependency.calls"},
			Errors:  &alerting.Selector{Metric: "igmon.dependency.calls", Matchers: alerting.Matchers{mustMatch(t, alerting.MatchEqual, igsemconv.AttrDependencyOutcome, "error")}},
			Windows: []alerting.BurnWindow{{Severity: "page", Long: 2 * time.Minute, Short: 30 * time.Second, Factor: 10}, {Severity: "ticket", Long: 30 * time.Minute, Short: 5 * time.Minute, Factor: 1}}}},
	}
	m, err := New(quiet, WithRegistryOptions(checkstest.WithClock(fc)), WithAlerting(rules, alertClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	client := &http.Client{Transport: mustDep(t, m, instrument.KindPayment, "stripe").Transport(nil)}
	evaluate := func() {
		t.Helper()
		if err := m.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// advance moves the clock on in evaluation-interval steps, evaluating
	// at each, as the evaluator's loop would.
	advance := func(d time.Duration) {
		t.Helper()
		for end := fc.Now().Add(d); fc.Now().Before(end); {
			fc.Advance(15 * time.Second)
			evaluate()
		}
	}
	evidenceOf := func(rule string, labels map[string]string) string {
		labels[igsemconv.AttrDependencyName] = "stripe"
		al := alerting.Alert{Rule: rule, Labels: labels, Value: 1, ActiveAt: fc.Now()}
		return errorTypesLine(m.alerting.evidence(al))
	}

	// t0: the engine's first cycle (Start runs one), five 503s, then a
	// second cycle.
	evaluate()
	code.Store(http.StatusServiceUnavailable)
	callPSP(t, client, psp.URL, 5)
	evaluate()
	// t0+2m: four 500s.
	advance(2 * time.Minute)
	code.Store(http.StatusInternalServerError)
	callPSP(t, client, psp.URL, 4)
	evaluate()
	advance(30 * time.Second) // t0+2m30s

	tests := []struct {
		rule   string
		labels map[string]string
		want   string
	}{
		// The 503s are older than the ratio rule's minute.
		{"PaymentProviderErrors", map[string]string{}, "top error types of stripe (last 1m): 500 (4)"},
		// Ten minutes reach back before the first snapshot: the history is
		// younger than the window, so all errors since start count.
		{"StripeCheckDown", map[string]string{}, "top error types of stripe (last 10m): 503 (5), 500 (4)"},
		// An SLO alert counts over the long window of its severity.
		{"PaymentsSLO", map[string]string{"severity": "page"}, "top error types of stripe (last 2m): 500 (4)"},
		{"PaymentsSLO", map[string]string{"severity": "ticket"}, "top error types of stripe (last 30m): 503 (5), 500 (4)"},
	}
	for _, tt := range tests {
		if got := evidenceOf(tt.rule, tt.labels); got != tt.want {
			t.Errorf("%s %v at t0+2m30s: %q, want %q", tt.rule, tt.labels, got, tt.want)
		}
	}

	// t0+11m: the ten-minute window starts at t0+1m, after the 503s.
	advance(8*time.Minute + 30*time.Second)
	if got, want := evidenceOf("StripeCheckDown", map[string]string{}), "top error types of stripe (last 10m): 500 (4)"; got != want {
		t.Errorf("at t0+11m: %q, want %q", got, want)
	}
	// Nothing failed in the last minute: no error-type line at all.
	if got := evidenceOf("PaymentProviderErrors", map[string]string{}); got != "" {
		t.Errorf("at t0+11m the 1m window still shows %q", got)
	}
	// t0+13m: the 500s (t0+2m) are older than the window too.
	advance(2 * time.Minute)
	if got := evidenceOf("StripeCheckDown", map[string]string{}); got != "" {
		t.Errorf("at t0+13m: %q, want no line", got)
	}
}

func mustMatch(t *testing.T, typ alerting.MatchType, name, value string) *alerting.Matcher {
	t.Helper()
	mt, err := alerting.NewMatcher(typ, name, value)
	if err != nil {
		t.Fatal(err)
	}
	return mt
}

func TestEvidenceListsRecoveredChecks(t *testing.T) {
	fc := clock.NewFake(alT0)
	m, err := New(quiet, WithRegistryOptions(checkstest.WithClock(fc)),
		WithAlerting([]alerting.Rule{{Name: "DepositsFailing", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}}}}, alertClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	var mu sync.Mutex
	down := map[string]bool{}
	set := func(name string, d bool) {
		mu.Lock()
		down[name] = d
		mu.Unlock()
	}
	for _, name := range []string{"old-cache", "kyc", "wallet-db", "stripe", "c1", "c2", "c3", "c4"} {
		if err := m.Checks().Register(name, func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			if down[name] {
				return errors.New("dial tcp 10.0.0.7:443: connection refused (token=abc123secret)")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	run := func() { m.Checks().Evaluate(context.Background(), checks.Readiness) }
	run() // everything passes at t0

	// old-cache fails and recovers long before the window.
	set("old-cache", true)
	run()
	fc.Advance(time.Minute)
	set("old-cache", false)
	run()

	fc.Advance(20 * time.Minute) // t0+21m
	set("kyc", true)             // fails 3m before the alert, recovers 1m before
	run()
	fc.Advance(time.Minute)
	set("stripe", true) // fails 2m before and recovers after the alert started
	run()
	fc.Advance(30 * time.Second)
	set("wallet-db", true) // fails 1m30s before and is still failing
	run()
	fc.Advance(30 * time.Second)
	set("kyc", false)
	run()
	active := fc.Now().Add(time.Minute) // t0+24m
	fc.Advance(time.Minute + 10*time.Second)
	set("stripe", false)
	run()

	al := alerting.Alert{Rule: "DepositsFailing", Value: 1, ActiveAt: active, Labels: alerting.Labels{"igmon.check.name": "wallet-db"}}
	ev := m.alerting.evidence(al)
	// The alert's own component first, then the others that turned
	// before it, latest first; old-cache recovered long before the
	// window and is left out.
	want := []string{
		"DepositsFailing = 1 s since 2025-03-14T20:24:00Z",
		"check wallet-db turned fail 1m30s before (2025-03-14T20:22:30Z): dial tcp 10.0.0.7:443: connection refused",
		"check stripe turned fail 2m0s before, recovered 10s after (2025-03-14T20:22:00Z to 2025-03-14T20:24:10Z): dial tcp 10.0.0.7:443: connection refused",
		"check kyc turned fail 3m0s before, recovered 1m0s before (2025-03-14T20:21:00Z to 2025-03-14T20:23:00Z): dial tcp 10.0.0.7:443: connection refused",
	}
	if len(ev) != len(want) {
		t.Fatalf("evidence:\n%s\nwant:\n%s", strings.Join(ev, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(ev[i], want[i]) {
			t.Errorf("line %d:\n%s\nwant prefix\n%s", i, ev[i], want[i])
		}
		if strings.Contains(ev[i], "abc123secret") {
			t.Errorf("line %d not redacted: %s", i, ev[i])
		}
	}

	// More causes than fit: five lines; c1..c4 turned after the alert
	// started, so they come after the ones that turned before it.
	for _, name := range []string{"c1", "c2", "c3", "c4"} {
		fc.Advance(5 * time.Second)
		set(name, true)
		run()
	}
	fc.Advance(5 * time.Second)
	for _, name := range []string{"c1", "c2", "c3", "c4"} {
		set(name, false)
	}
	run()
	ev = m.alerting.evidence(al)
	if len(ev) != 1+maxCauseLines {
		t.Fatalf("%d lines:\n%s", len(ev), strings.Join(ev, "\n"))
	}
	for i, name := range []string{"wallet-db", "stripe", "kyc", "c1", "c2"} {
		if !strings.HasPrefix(ev[1+i], "check "+name+" ") {
			t.Errorf("line %d is %q, want check %s", 1+i, ev[1+i], name)
		}
	}
}

func TestAlertsAPISilencesAreInTheEventLog(t *testing.T) {
	fc := clock.NewFake(alT0)
	m, err := New(quiet, WithRegistryOptions(checkstest.WithClock(fc)),
		WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ops" }),
		WithAlerting([]alerting.Rule{{Name: "WalletDBDown", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}}}}, alertClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	srv := httptest.NewServer(http.StripPrefix("/alerting", m.AlertsHandler()))
	defer srv.Close()
	do := func(method, path, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer ops")
		req.Header.Set("Content-Type", "application/json") // the alerts API's writes need it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	resp := do("POST", "/alerting/silences",
		`{"matchers":["alertname=\"WalletDBDown\""],"duration":"2h","createdBy":"ana","comment":"failover to postgres://admin:hunter2@replica:5432"}`)
	var created struct{ ID string }
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || created.ID == "" {
		t.Fatalf("POST answer %+v %v", created, err)
	}
	evs := m.events.Query(eventQuery{Kind: eventSilence})
	if len(evs) != 1 {
		t.Fatalf("silence events after POST: %+v", evs)
	}
	e := evs[0]
	if e.Component != "alerting" || !e.Time.Equal(alT0) || e.Attrs["by"] != "ana" || e.Attrs["silence_id"] != created.ID ||
		!strings.Contains(e.Attrs["reason"], "failover to") || !strings.Contains(e.Message, `alertname="WalletDBDown"`) ||
		!strings.Contains(e.Message, "created until 2025-03-14T22:00:00Z") {
		t.Errorf("created event %+v", e)
	}
	if strings.Contains(fmt.Sprint(e), "hunter2") {
		t.Errorf("event keeps a secret: %+v", e)
	}

	fc.Advance(10 * time.Minute)
	if resp := do("DELETE", "/alerting/silences/"+created.ID+"?by=bob", ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	evs = m.events.Query(eventQuery{Kind: eventSilence})
	if len(evs) != 2 {
		t.Fatalf("silence events after DELETE: %+v", evs)
	}
	e = evs[1]
	if !e.Time.Equal(alT0.Add(10*time.Minute)) || e.Attrs["by"] != "bob" || e.Attrs["created_by"] != "ana" ||
		e.Attrs["silence_id"] != created.ID || !strings.Contains(e.Message, "expired") {
		t.Errorf("expired event %+v", e)
	}

	// Callers the authorizer does not admit see that silences changed, not
	// who did it or why.
	get := func(auth bool) string {
		return eventsBody(m, "/events?kind=silence", auth, "Authorization", "Bearer ops")
	}
	pub := get(false)
	for _, secret := range []string{"ana", "bob", "failover"} {
		if strings.Contains(pub, secret) {
			t.Errorf("public event log shows %q: %s", secret, pub)
		}
	}
	if !strings.Contains(pub, created.ID) || !strings.Contains(pub, "expired") {
		t.Errorf("public event log lacks the silence changes: %s", pub)
	}
	if full := get(true); !strings.Contains(full, `"by":"ana"`) || !strings.Contains(full, "failover") {
		t.Errorf("authorized event log lacks author or comment: %s", full)
	}
}

// The public event log withholds error text also where the message
// carries it, as check transitions' messages do.
func TestEventsHandlerCutsErrorsFromMessages(t *testing.T) {
	fc := clock.NewFake(alT0)
	m, err := New(quiet, WithRegistryOptions(checkstest.WithClock(fc)),
		WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("X-Ops") == "1" }))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	if err := m.Checks().Register("wallet-db", func(context.Context) error { return errors.New("connection refused by 10.0.0.5") }); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	get := func(admin bool) string { return eventsBody(m, "/events?kind=check", admin, "X-Ops", "1") }
	if pub := get(false); strings.Contains(pub, "connection refused") || !strings.Contains(pub, "wallet-db") {
		t.Errorf("public event log: %s", pub)
	}
	if full := get(true); !strings.Contains(full, "connection refused") {
		t.Errorf("authorized event log: %s", full)
	}
}

// errorsCollection is a collection with pairs (dependency, error.type)
// series of igmon.dependency.calls, as the cardinality limit allows.
func errorsCollection(pairs int) metricdata.ResourceMetrics {
	var pts []metricdata.DataPoint[int64]
	for i := range pairs {
		pts = append(pts, metricdata.DataPoint[int64]{Value: int64(i), Attributes: attribute.NewSet(
			attribute.String(igsemconv.AttrDependencyName, fmt.Sprintf("dep-%d", i%20)),
			attribute.String(igsemconv.AttrDependencyOutcome, "error"),
			attribute.String("error.type", fmt.Sprintf("type-%d", i/20)))})
	}
	return metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
		Name: "igmon.dependency.calls", Data: metricdata.Sum[int64]{IsMonotonic: true, Temporality: metricdata.CumulativeTemporality, DataPoints: pts}}}}}}
}

// BenchmarkEvidenceErrorTypes measures what counting error types over the
// rule windows adds to a series-engine cycle over 2,000 (dependency,
// error.type) pairs: the baseline cycle folds the collection only, the
// other also sums the pairs over four windows (1m, 10m and an SLO's 1h
// and 6h) and publishes them.
func BenchmarkEvidenceErrorTypes(b *testing.B) {
	rm := errorsCollection(2000)
	src := sourceFunc(func(_ context.Context, out *metricdata.ResourceMetrics) error {
		*out = rm
		return nil
	})
	windows := []time.Duration{time.Minute, evidenceWindow, time.Hour, 6 * time.Hour}
	run := func(b *testing.B, withReader bool) {
		now := alT0
		eng := series.NewEngine(src, 32, 100_000, func() time.Time { return now })
		// The baseline tracks the same series through a plain selection.
		if withReader {
			if _, err := newErrorTypes(eng, windows); err != nil {
				b.Fatal(err)
			}
		} else if err := eng.Register(func(st *series.Store) error {
			_, err := selectOn(st, selectorDependencyErrors, []attribute.Key{igsemconv.AttrDependencyName, igsemconv.AttrErrorType}, windows...)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			now = now.Add(15 * time.Second)
			_ = eng.Cycle(context.Background())
		}
	}
	var base, with float64
	b.Run("baseline-cycle", func(b *testing.B) { run(b, false); base = float64(b.Elapsed()) / float64(b.N) })
	b.Run("cycle+error-types", func(b *testing.B) {
		run(b, true)
		with = float64(b.Elapsed()) / float64(b.N)
		if base > 0 {
			b.ReportMetric(with/base, "x-baseline")
		}
	})
}

// TestEvidenceLeavesOutEpisodesOlderThanTheAlertWindow: the database
// outage's evidence names the database first and leaves out a maintenance
// override cleared 7.5 minutes before, outside a check_state rule's cause
// window (twice its `for`, at least 5 minutes).
func TestEvidenceLeavesOutEpisodesOlderThanTheAlertWindow(t *testing.T) {
	fc := clock.NewFake(alT0)
	m, err := New(quiet, WithRegistryOptions(checkstest.WithClock(fc)),
		WithAlerting([]alerting.Rule{{Name: "CheckFailing", For: 30 * time.Second, Condition: &alerting.CheckState{}}}, alertClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	var down atomic.Bool
	for _, name := range []string{"wallet-db", "stripe-health"} {
		if err := m.Checks().Register(name, func(context.Context) error {
			if name == "wallet-db" && down.Load() {
				return errors.New("connection refused")
			}
			return nil
		}, checks.WithOnRequest(time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	run := func() { m.Checks().Evaluate(context.Background(), checks.Readiness) }
	run()
	// A maintenance window on stripe-health, cleared at t0+1m.
	if err := m.Checks().Override("stripe-health", checks.StatusFail, "maintenance", "test"); err != nil {
		t.Fatal(err)
	}
	fc.Advance(time.Minute)
	if err := m.Checks().ClearOverride("stripe-health", "done", "test"); err != nil {
		t.Fatal(err)
	}
	run()
	fc.Advance(7*time.Minute + 30*time.Second) // t0+8m30s: the database goes down
	down.Store(true)
	run()
	fc.Advance(30 * time.Second)
	run()
	al := alerting.Alert{Rule: "CheckFailing", Value: 30, ActiveAt: fc.Now().Add(-30 * time.Second),
		Labels: alerting.Labels{"igmon.check.name": "wallet-db"}}
	ev := m.alerting.evidence(al)
	if len(ev) != 2 || !strings.HasPrefix(ev[0], "CheckFailing = 30 s since") || !strings.HasPrefix(ev[1], "check wallet-db turned fail") {
		t.Fatalf("evidence:\n%s\nwant the value with its unit, then only wallet-db", strings.Join(ev, "\n"))
	}
}

// sourceFunc adapts a function to the series engine's metric source.
type sourceFunc func(ctx context.Context, rm *metricdata.ResourceMetrics) error

func (f sourceFunc) Collect(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return f(ctx, rm)
}
