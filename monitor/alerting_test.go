package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/notify"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/igsemconv"
)

// alT0 is where the fake clocks of these tests start.
var alT0 = time.Date(2025, 3, 14, 20, 0, 0, 0, time.UTC)

// hookReceiver is an Alertmanager-webhook receiver on loopback that checks
// the request shape and keeps the messages.
type hookReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	msgs []notify.WebhookMessage
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if r.Method != http.MethodPost || mt != "application/json" || r.URL.Path != "/hook" {
			t.Errorf("webhook request %s %s content type %q", r.Method, r.URL.Path, mt)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var m notify.WebhookMessage
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) take() []notify.WebhookMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.msgs
	h.msgs = nil
	return out
}

// flakyPSP is a payment provider that answers 503 until healed.
func flakyPSP(t *testing.T) (*httptest.Server, *atomic.Bool) {
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, `{"error":"upstream unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"succeeded"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &healthy
}

// callPSP makes n deposits through the dependency's transport.
func callPSP(t *testing.T, c *http.Client, url string, n int) {
	t.Helper()
	for range n {
		resp, err := c.Post(url+"/v1/payment_intents", "application/json", strings.NewReader(`{"amount":100}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

func paymentErrorRule(t *testing.T) alerting.Rule {
	t.Helper()
	num, err := alerting.ParseSelector(`igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout"}`)
	if err != nil {
		t.Fatal(err)
	}
	den, err := alerting.ParseSelector(`igmon.dependency.calls{igmon.dependency.kind="payment"}`)
	if err != nil {
		t.Fatal(err)
	}
	return alerting.Rule{
		Name: "PaymentProviderErrors",
		Condition: &alerting.Ratio{Numerator: num, Denominator: den, Window: time.Minute,
			MinRequests: 10, Op: alerting.Above, Value: 0.5},
		By:          []string{igsemconv.AttrDependencyName},
		For:         20 * time.Second,
		Labels:      map[string]string{"severity": "critical"},
		Annotations: map[string]string{"summary": `{{ index .Labels "igmon.dependency.name" }} fails {{ percent .Value }} of calls`},
	}
}

// alertState runs one cycle and returns the alert of rule, which must be
// in want: the Monitor's in-process reader collects afresh on every cycle
// (no cache), so the cycle sees every call made before it.
func alertState(t *testing.T, m *Monitor, rule string, want alerting.State) alerting.Alert {
	t.Helper()
	return alertWhere(t, m, rule, want, func(alerting.Alert) bool { return true })
}

func alertWhere(t *testing.T, m *Monitor, rule string, want alerting.State, ok func(alerting.Alert) bool) alerting.Alert {
	t.Helper()
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, a := range m.currentAlerts() {
		if a.Rule == rule && a.State == want && ok(a) {
			return a
		}
	}
	t.Fatalf("alert %s not %s after a cycle; alerts: %+v", rule, want, m.currentAlerts())
	return alerting.Alert{}
}

// deliver ticks the dispatcher at the fake clock's time and waits until
// what it queued reached the receivers.
func deliver(t *testing.T, m *Monitor) {
	t.Helper()
	alerthook.Tick(m.alerting.disp)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.alerting.disp.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAlertEndToEndThroughMonitor(t *testing.T) {
	fc := clock.NewFake(alT0)
	psp, healthy := flakyPSP(t)
	hook := newHookReceiver(t)
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: hook.srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(quiet, WithServiceName("casino"),
		WithRegistryOptions(checkstest.WithClock(fc)),
		WithAlerting([]alerting.Rule{paymentErrorRule(t)},
			alertClock(fc),
			dispatch.WithReceiver(dispatch.Receiver{Name: "oncall", Notifier: wh, MaxAttempts: 1}),
			dispatch.WithRoute(dispatch.Route{Receivers: []string{"oncall"}, GroupBy: []string{alerting.LabelAlertName},
				GroupWait: 10 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour}),
		))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	var dbDown atomic.Bool
	dbDown.Store(true)
	if err := m.Checks().Register("wallet-db", func(context.Context) error {
		if dbDown.Load() {
			return errors.New("dial postgres://wallet:s3cret@10.0.0.5:5432/wallet: connection refused")
		}
		return nil
		// On request: the registry is not started and the test moves a fake
		// clock, so no loop would refresh the result, which must not go
		// stale in the test's minute.
	}, checks.WithComponentType("datastore"), checks.WithOnRequest(time.Second), checks.WithStaleAfter(time.Hour)); err != nil {
		t.Fatal(err)
	}
	stripe := mustDep(t, m, instrument.KindPayment, "stripe")
	client := &http.Client{Transport: stripe.Transport(nil)}

	// A first cycle before any traffic: like Prometheus, the evaluator
	// counts only what arrives after it first looked.
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The wallet database fails first; 30s later the PSP starts failing.
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	if res, _ := m.Checks().Result("wallet-db"); res.Status != checks.StatusFail {
		t.Fatalf("wallet-db %v", res.Status)
	}
	fc.Advance(30 * time.Second)
	callPSP(t, client, psp.URL, 20)

	pending := alertState(t, m, "PaymentProviderErrors", alerting.StatePending)
	if pending.Labels[igsemconv.AttrDependencyName] != "stripe" || pending.Value != 1 {
		t.Fatalf("pending alert %+v", pending)
	}
	deliver(t, m)
	if got := hook.take(); len(got) != 0 {
		t.Fatalf("pending alert notified: %+v", got)
	}

	fc.Advance(20 * time.Second) // For elapses
	alertState(t, m, "PaymentProviderErrors", alerting.StateFiring)
	deliver(t, m)
	if got := hook.take(); len(got) != 0 {
		t.Fatalf("notified before group_wait: %+v", got)
	}
	fc.Advance(10 * time.Second) // group_wait elapses
	deliver(t, m)
	msgs := hook.take()
	if len(msgs) != 1 || msgs[0].Status != "firing" || len(msgs[0].Alerts) != 1 || msgs[0].Version != "4" {
		t.Fatalf("firing notification %+v", msgs)
	}
	fa := msgs[0].Alerts[0]
	ev := fa.Annotations[annotationEvidence]
	for _, want := range []string{
		// The ratio's value carries its unit.
		"PaymentProviderErrors = 100 % since",
		// Measured from when the condition started to hold (pending).
		"check wallet-db turned fail 30s before",
		"connection refused",
		// Over the rule's 1m window, which reaches back before the
		// first evaluation: every call counts.
		"top error types of stripe (last 1m): 503 (20)",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if fa.Labels[igsemconv.AttrDependencyName] != "stripe" || fa.Labels["severity"] != "critical" ||
		fa.Annotations["summary"] != "stripe fails 100.00% of calls" {
		t.Errorf("firing alert %+v", fa)
	}
	if strings.Contains(ev, "s3cret") {
		t.Errorf("evidence not redacted: %s", ev)
	}

	// The PSP recovers; the window slides past the errors.
	healthy.Store(true)
	dbDown.Store(false)
	callPSP(t, client, psp.URL, 30)
	fc.Advance(70 * time.Second)
	// Resolved, and once the evaluator sees the new calls, at ratio 0.
	alertWhere(t, m, "PaymentProviderErrors", alerting.StateResolved, func(a alerting.Alert) bool { return a.Value == 0 })
	fc.Advance(time.Minute) // group_interval since the firing notification
	deliver(t, m)
	msgs = hook.take()
	if len(msgs) != 1 || msgs[0].Status != "resolved" || len(msgs[0].Alerts) != 1 ||
		msgs[0].Alerts[0].Status != "resolved" || msgs[0].Alerts[0].EndsAt.IsZero() {
		t.Fatalf("resolved notification %+v", msgs)
	}

	// The timeline holds one event per state change, stamped on the
	// evaluator's clock, with the evidence on the firing one.
	evs := m.events.Query(eventQuery{Kind: eventAlert})
	if len(evs) != 2 {
		t.Fatalf("alert events %+v", evs)
	}
	firing, resolved := evs[0], evs[1]
	if firing.Component != "stripe" || firing.Severity != severityCritical || !strings.Contains(firing.Message, "firing") ||
		!firing.Time.Equal(alT0.Add(50*time.Second)) || !strings.Contains(firing.Attrs["evidence"], "wallet-db") {
		t.Errorf("firing event %+v", firing)
	}
	if resolved.Component != "stripe" || resolved.Severity != severityInfo || !strings.Contains(resolved.Message, "resolved") ||
		!resolved.Time.Equal(alT0.Add(130*time.Second)) {
		t.Errorf("resolved event %+v", resolved)
	}
	// Both deliveries (firing, then resolved) are in the timeline too.
	if n := len(m.events.Query(eventQuery{Kind: eventNotification, Component: "alerting"})); n != 2 {
		t.Errorf("notification events: %d, want 2: %+v", n, m.events.Query(eventQuery{Kind: eventNotification}))
	}
	// Re-evaluating a resolved alert records nothing new.
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(m.events.Query(eventQuery{Kind: eventAlert})); n != 2 {
		t.Fatalf("%d alert events after a quiet cycle", n)
	}
}

func TestAlertsHandlerAndSilences(t *testing.T) {
	fc := clock.NewFake(alT0)
	rule := alerting.Rule{Name: "WalletDBDown", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}}}
	m, err := New(quiet, WithRegistryOptions(checkstest.WithClock(fc)),
		WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ops" }),
		WithAlerting([]alerting.Rule{rule}, alertClock(fc)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	if err := m.Checks().Register("wallet-db", func(context.Context) error { return errors.New("down") }); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	a := alertState(t, m, "WalletDBDown", alerting.StateFiring)
	if a.Labels["igmon.check.name"] != "wallet-db" {
		t.Fatalf("alert %+v", a)
	}
	if evs := m.events.Query(eventQuery{Kind: eventAlert, Component: "wallet-db"}); len(evs) != 1 || evs[0].Severity != severityWarning {
		t.Fatalf("alert events %+v", evs)
	}

	srv := httptest.NewServer(m.AlertsHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Alerts []alerting.Alert `json:"alerts"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(body.Alerts) != 1 || body.Alerts[0].Rule != "WalletDBDown" {
		t.Fatalf("GET alerts: %d %v %+v", resp.StatusCode, err, body)
	}
	if m.Silences() == nil {
		t.Fatal("no silences")
	}
}

func TestAlertingOffAndMisconfigured(t *testing.T) {
	m, err := New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	// The series engine runs without alerting: the status still refreshes.
	if err := m.Refresh(context.Background()); err != nil {
		t.Errorf("Refresh without alerting: %v", err)
	}
	if m.currentAlerts() != nil || m.Silences() != nil {
		t.Error("alerts or silences without alerting")
	}
	rec := httptest.NewRecorder()
	m.AlertsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("AlertsHandler without alerting: %d", rec.Code)
	}

	// Metric rules cannot read a provider the Monitor did not build: that
	// must fail at construction, not stay silent forever.
	_, err = New(quiet, WithMeterProvider(noop.NewMeterProvider()), WithAlerting([]alerting.Rule{paymentErrorRule(t)}))
	if err == nil || !strings.Contains(err.Error(), "WithAlerting") || !strings.Contains(err.Error(), "WithMeterProvider") {
		t.Errorf("metric rule on a user provider: %v", err)
	}
	// Check rules need no metrics.
	cm, err := New(quiet, WithMeterProvider(noop.NewMeterProvider()),
		WithAlerting([]alerting.Rule{{Name: "Down", Condition: &alerting.CheckState{}}}))
	if err != nil {
		t.Fatalf("check rule on a user provider: %v", err)
	}
	_ = cm.Shutdown(context.Background())
	// An invalid rule names the option.
	if _, err := New(quiet, WithAlerting([]alerting.Rule{{Name: "", Condition: &alerting.CheckState{}}})); err == nil ||
		!strings.Contains(err.Error(), "WithAlerting") {
		t.Errorf("invalid rule: %v", err)
	}
}

// alertClock is the alerting option that puts the evaluator and the
// dispatcher on a test's fake clock.
func alertClock(c clock.Clock) alerting.Option { return alerthook.WithClock(c).(alerting.SharedOption) }
