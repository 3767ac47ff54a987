package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func testNotification() *dispatch.Notification {
	l := alerting.Labels{"alertname": "DepositErrors", "severity": "page", "team": "payments",
		"igmon.dependency.name": "stripe"}
	l2 := alerting.Labels{"alertname": "DepositErrors", "severity": "page", "team": "payments",
		"igmon.dependency.name": "adyen"}
	firing := alerting.Alert{Rule: "DepositErrors", Labels: l, Fingerprint: l.Fingerprint(), State: alerting.StateFiring,
		FiredAt: t0, Value: 0.12, Annotations: map[string]string{
			"summary":     "stripe <deposit> errors 12% & rising",
			"runbook_url": "https://runbooks.example/deposits"}}
	res := alerting.Alert{Rule: "DepositErrors", Labels: l2, Fingerprint: l2.Fingerprint(), State: alerting.StateResolved,
		FiredAt: t0.Add(-time.Hour), ResolvedAt: t0, Annotations: map[string]string{"summary": "adyen ok"}}
	return &dispatch.Notification{
		Receiver: "oncall", GroupKey: `{}:{team="payments"}`, GroupLabels: alerting.Labels{"team": "payments"},
		Status: "firing", Reason: "new", Alerts: []alerting.Alert{firing, res},
		CommonLabels:      alerting.Labels{"alertname": "DepositErrors", "severity": "page", "team": "payments"},
		CommonAnnotations: map[string]string{}, ExternalURL: "https://igmon.example/status",
	}
}

type capture struct {
	mu   sync.Mutex
	reqs []captured
}

type captured struct {
	method, path, query string
	header              http.Header
	body                []byte
}

// server answers each request with the next (status, body, headers)
// response, repeating the last one.
func (c *capture) server(t *testing.T, responses ...response) *httptest.Server {
	t.Helper()
	i := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, captured{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		resp := responses[min(i, len(responses)-1)]
		i++
		c.mu.Unlock()
		for k, v := range resp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.status)
		io.WriteString(w, resp.body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (c *capture) all() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.reqs...)
}

type response struct {
	status int
	body   string
	header map[string]string
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return m
}

func keys(m map[string]any) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	return k
}

func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: missing key %q (have %v)", what, k, keys(m))
		}
	}
}

func retryAfter(err error) time.Duration {
	var de *deliveryerr.Error
	if errors.As(err, &de) {
		return de.RetryAfter
	}
	return 0
}

// notifierAt builds a notifier that delivers to the receiver at url (an
// httptest server's).
type notifierAt func(url string) (dispatch.Notifier, error)

// deliver sends n through the notifier newAt builds for a receiver that
// answers with responses, and returns the requests the receiver got and
// Notify's error. Every provider posts JSON, so every request must be a
// JSON POST.
func deliver(t *testing.T, newAt notifierAt, n *dispatch.Notification, responses ...response) ([]captured, error) {
	t.Helper()
	var c capture
	srv := c.server(t, responses...)
	nf, err := newAt(srv.URL)
	if err != nil {
		t.Fatalf("constructor: %v", err)
	}
	err = nf.Notify(context.Background(), n)
	reqs := c.all()
	for _, r := range reqs {
		if r.method != http.MethodPost || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s with Content-Type %q, want a JSON POST", r.method, r.path, r.header.Get("Content-Type"))
		}
	}
	return reqs, err
}

// mustDeliver is deliver for a delivery that must succeed with want
// requests.
func mustDeliver(t *testing.T, newAt notifierAt, n *dispatch.Notification, want int, responses ...response) []captured {
	t.Helper()
	reqs, err := deliver(t, newAt, n, responses...)
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if len(reqs) != want {
		t.Fatalf("%d requests, want %d: %+v", len(reqs), want, reqs)
	}
	return reqs
}

func TestWebhookV4Shape(t *testing.T) {
	r := mustDeliver(t, func(url string) (dispatch.Notifier, error) {
		return NewWebhook(WebhookConfig{URL: url + "/hook?token=s3cr3t"})
	}, testNotification(), 1, response{status: 200})[0]
	if r.path != "/hook" || r.query != "token=s3cr3t" {
		t.Errorf("posted to %s?%s, want the configured URL", r.path, r.query)
	}
	m := decode(t, r.body)
	wantKeys(t, "message", m, "version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
		"commonLabels", "commonAnnotations", "externalURL", "alerts")
	if m["version"] != "4" || m["status"] != "firing" || m["receiver"] != "oncall" {
		t.Errorf("header fields: %v", m)
	}
	alerts := m["alerts"].([]any)
	a0, a1 := alerts[0].(map[string]any), alerts[1].(map[string]any)
	wantKeys(t, "alert", a0, "status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint")
	if a0["status"] != "firing" || a0["startsAt"] != "2026-03-02T10:00:00Z" || a0["endsAt"] != "0001-01-01T00:00:00Z" {
		t.Errorf("firing alert: %v", a0)
	}
	if a1["status"] != "resolved" || a1["endsAt"] != "2026-03-02T10:00:00Z" {
		t.Errorf("resolved alert: %v", a1)
	}
}

func TestWebhookMaxAlertsTruncates(t *testing.T) {
	w, _ := NewWebhook(WebhookConfig{URL: "http://127.0.0.1:1/x", MaxAlerts: 1})
	m := w.(*webhookNotifier).message(testNotification())
	if len(m.Alerts) != 1 || m.TruncatedAlerts != 1 {
		t.Fatalf("alerts=%d truncated=%d", len(m.Alerts), m.TruncatedAlerts)
	}
}

func TestSlackShape(t *testing.T) {
	r := mustDeliver(t, func(url string) (dispatch.Notifier, error) {
		return NewSlack(SlackConfig{WebhookURL: url + "/services/T000/B000/XXXX"})
	}, testNotification(), 1, response{status: 200, body: "ok"})[0]
	if r.path != "/services/T000/B000/XXXX" {
		t.Errorf("posted to %s, want the webhook URL", r.path)
	}
	m := decode(t, r.body)
	att := m["attachments"].([]any)[0].(map[string]any)
	if !strings.HasPrefix(m["text"].(string), "[FIRING:1] payments") || att["color"] != "danger" {
		t.Errorf("message %v", m)
	}
	if !strings.Contains(att["text"].(string), "stripe &lt;deposit&gt; errors 12% &amp; rising") {
		t.Errorf("text not escaped: %q", att["text"])
	}
}

func TestPagerDutyTriggerResolveDedupKey(t *testing.T) {
	const key = "R0UT1NGK3Y0123456789abcdef012345"
	n := testNotification()
	reqs := mustDeliver(t, func(url string) (dispatch.Notifier, error) {
		return NewPagerDuty(PagerDutyConfig{RoutingKey: key, URL: url + "/v2/enqueue", Source: "casino-api"})
	}, n, 2, response{status: 202, body: `{"status":"success","message":"Event processed","dedup_key":"x"}`})
	if reqs[0].path != "/v2/enqueue" {
		t.Fatalf("requests %+v", reqs)
	}
	trig, res := decode(t, reqs[0].body), decode(t, reqs[1].body)
	if trig["routing_key"] != key || trig["event_action"] != "trigger" || res["event_action"] != "resolve" {
		t.Fatalf("trigger %v resolve %v", trig, res)
	}
	p := trig["payload"].(map[string]any)
	wantKeys(t, "payload", p, "summary", "source", "severity", "timestamp")
	if p["severity"] != "critical" || p["source"] != "casino-api" || p["timestamp"] != "2026-03-02T10:00:00Z" {
		t.Errorf("payload %v", p)
	}
	if _, ok := res["payload"]; ok {
		t.Error("resolve must not carry a payload")
	}
	// Deterministic: the same labels give the same key in any process.
	want := "igmon-" + n.Alerts[0].Labels.Fingerprint()
	if trig["dedup_key"] != want || trig["dedup_key"] == res["dedup_key"] {
		t.Errorf("dedup_key %v, want %v", trig["dedup_key"], want)
	}
}

func TestTelegramHTML(t *testing.T) {
	const token = "123456:AAH-secret-token"
	r := mustDeliver(t, func(url string) (dispatch.Notifier, error) {
		return NewTelegram(TelegramConfig{Token: token, ChatID: "-1001234", URL: url})
	}, testNotification(), 1, response{status: 200, body: `{"ok":true,"result":{"message_id":1}}`})[0]
	if r.path != "/bot"+token+"/sendMessage" {
		t.Fatalf("path %s", r.path)
	}
	m := decode(t, r.body)
	if m["parse_mode"] != "HTML" || m["chat_id"] != float64(-1001234) {
		t.Errorf("body %v", m)
	}
	text := m["text"].(string)
	if !strings.Contains(text, "stripe &lt;deposit&gt; errors 12% &amp; rising") || !strings.HasPrefix(text, "<b>[FIRING:1] payments</b>") {
		t.Errorf("text %q", text)
	}
	if m["link_preview_options"].(map[string]any)["is_disabled"] != true {
		t.Error("link previews must be off")
	}
}

func TestOpsgenieCreateAndClose(t *testing.T) {
	n := testNotification()
	reqs := mustDeliver(t, func(url string) (dispatch.Notifier, error) {
		return NewOpsgenie(OpsgenieConfig{APIKey: "genie-secret", URL: url,
			Responders: []OpsgenieResponder{{Type: "team", Name: "payments"}}})
	}, n, 2, response{status: 202, body: `{"result":"Request will be processed","requestId":"abc"}`})
	if reqs[0].path != "/v2/alerts" || reqs[0].header.Get("Authorization") != "GenieKey genie-secret" {
		t.Errorf("create %s %v", reqs[0].path, reqs[0].header)
	}
	create := decode(t, reqs[0].body)
	if create["alias"] != n.Alerts[0].Labels.Fingerprint() || create["priority"] != "P1" ||
		len([]rune(create["message"].(string))) > 130 {
		t.Errorf("create %v", create)
	}
	wantClose := "/v2/alerts/" + n.Alerts[1].Labels.Fingerprint() + "/close"
	if reqs[1].path != wantClose || reqs[1].query != "identifierType=alias" {
		t.Errorf("close %s?%s, want %s", reqs[1].path, reqs[1].query, wantClose)
	}
}

// TestProviderErrors checks how each provider's documented error answers
// are classified (permanent, or retried after the time the provider asks
// for) and that the error names the provider's reason without the
// credential, which real APIs sometimes echo back.
func TestProviderErrors(t *testing.T) {
	const (
		slackPath = "/services/T000/B000/SECRETPATH"
		pdKey     = "R0UT1NGK3Y0123456789abcdef012345"
		tgToken   = "123456:AAH-secret-token"
		genieKey  = "genie-secret"
	)
	slack := func(url string) (dispatch.Notifier, error) { return NewSlack(SlackConfig{WebhookURL: url + slackPath}) }
	pagerDuty := func(url string) (dispatch.Notifier, error) {
		return NewPagerDuty(PagerDutyConfig{RoutingKey: pdKey, URL: url})
	}
	telegram := func(url string) (dispatch.Notifier, error) {
		return NewTelegram(TelegramConfig{Token: tgToken, ChatID: "@alerts", URL: url})
	}
	opsgenie := func(url string) (dispatch.Notifier, error) {
		return NewOpsgenie(OpsgenieConfig{APIKey: genieKey, URL: url})
	}
	pdBody := `{"status":"invalid event","message":"routing_key ` + pdKey + ` unknown"}`
	tests := []struct {
		name       string
		newAt      notifierAt
		resp       response
		permanent  bool
		retryAfter time.Duration
		reason     string // the provider's reason, which the error must carry
		secret     string // what the error must not contain
	}{
		{"slack 400", slack, response{status: 400, body: "invalid_payload"}, true, 0, "invalid_payload", "SECRETPATH"},
		{"slack 403", slack, response{status: 403, body: "action_prohibited"}, true, 0, "action_prohibited", "SECRETPATH"},
		{"slack 404", slack, response{status: 404, body: "channel_not_found"}, true, 0, "channel_not_found", "SECRETPATH"},
		{"slack 410", slack, response{status: 410, body: "channel_is_archived"}, true, 0, "channel_is_archived", "SECRETPATH"},
		{"slack 429", slack, response{status: 429, body: "rate_limited", header: map[string]string{"Retry-After": "7"}},
			false, 7 * time.Second, "rate_limited", "SECRETPATH"},
		{"slack 500", slack, response{status: 500, body: "rollup_error"}, false, 0, "rollup_error", "SECRETPATH"},

		{"pagerduty 400", pagerDuty, response{status: 400, body: pdBody}, true, 0, "invalid event", pdKey},
		{"pagerduty 429", pagerDuty, response{status: 429, body: pdBody}, false, 0, "invalid event", pdKey},
		{"pagerduty 500", pagerDuty, response{status: 500, body: pdBody}, false, 0, "invalid event", pdKey},

		{"telegram 429", telegram, response{status: 429,
			body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`},
			false, 3 * time.Second, "Too Many Requests", tgToken},
		{"telegram 400", telegram, response{status: 400,
			body: `{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"}`},
			true, 0, "can't parse entities", tgToken},

		{"opsgenie 401", opsgenie, response{status: 401, body: `{"message":"Key ` + genieKey + ` is invalid"}`}, true, 0, "is invalid", genieKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := deliver(t, tt.newAt, testNotification(), tt.resp)
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if errors.Is(err, dispatch.ErrPermanent) != tt.permanent || retryAfter(err) != tt.retryAfter {
				t.Errorf("err=%v permanent=%v retryAfter=%v, want permanent=%v retryAfter=%v",
					err, errors.Is(err, dispatch.ErrPermanent), retryAfter(err), tt.permanent, tt.retryAfter)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error leaks the credential: %v", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q hides the provider's reason %q", err, tt.reason)
			}
		})
	}
}

// TestTelegramTransportErrorHidesToken: the token is in the URL path, which
// net/http puts in a transport error's text.
func TestTelegramTransportErrorHidesToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // connection refused from here on
	tg, err := NewTelegram(TelegramConfig{Token: "123456:AAH-secret-token", ChatID: "@alerts", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = tg.Notify(context.Background(), testNotification())
	if err == nil || strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), "/bot") {
		t.Errorf("transport error leaks the URL: %v", err)
	}
}

func TestSlogNotifier(t *testing.T) {
	var buf bytes.Buffer
	s := NewSlog(slog.New(slog.NewJSONHandler(&buf, nil)))
	if err := s.Notify(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `"level":"ERROR","msg":"alert firing"`) || !strings.Contains(out, `"msg":"alert resolved"`) {
		t.Errorf("log %s", out)
	}
}

func TestConstructorsNameTheField(t *testing.T) {
	cases := []struct {
		err   error
		field string
	}{
		{func() error { _, err := NewWebhook(WebhookConfig{}); return err }(), "WebhookConfig.URL"},
		{func() error { _, err := NewSlack(SlackConfig{WebhookURL: "ftp://x"}); return err }(), "SlackConfig.WebhookURL"},
		{func() error { _, err := NewPagerDuty(PagerDutyConfig{}); return err }(), "PagerDutyConfig.RoutingKey"},
		{func() error { _, err := NewTelegram(TelegramConfig{Token: "x"}); return err }(), "TelegramConfig.ChatID"},
		{func() error { _, err := NewOpsgenie(OpsgenieConfig{APIKey: "k", Priority: "P9"}); return err }(), "OpsgenieConfig.Priority"},
		{func() error { _, err := NewEmail(EmailConfig{Addr: "x:25", From: "a@b.c"}); return err }(), "EmailConfig.To"},
	}
	for _, c := range cases {
		if !errors.Is(c.err, ErrInvalidConfig) || !strings.Contains(c.err.Error(), c.field) {
			t.Errorf("%v does not name %s", c.err, c.field)
		}
	}
}

// dispatchTo returns the real dispatcher, on a fake clock, routing every
// alert to receivers after a one-second group wait and retrying without
// waiting. logger nil keeps the dispatcher's default.
func dispatchTo(t *testing.T, logger *slog.Logger, receivers ...dispatch.Receiver) (*dispatch.Dispatcher, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	opts := []dispatch.Option{alerthook.WithClock(clk).(dispatch.Option),
		alerthook.WithRetryWait(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }).(dispatch.Option)}
	if logger != nil {
		opts = append(opts, alerting.WithLogger(logger))
	}
	route := dispatch.Route{GroupWait: time.Second}
	for _, r := range receivers {
		opts = append(opts, dispatch.WithReceiver(r))
		route.Receivers = append(route.Receivers, r.Name)
	}
	d, err := dispatch.New(append(opts, dispatch.WithRoute(route))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d, clk
}

// fireOnce hands the dispatcher the test notification's firing alert, lets
// the group wait pass and waits for the deliveries.
func fireOnce(ctx context.Context, d *dispatch.Dispatcher, clk *clock.Fake) error {
	d.Receive(testNotification().Alerts[:1])
	clk.Advance(time.Second)
	alerthook.Tick(d)
	return d.Flush(ctx)
}

// TestFailThreeTimesThenDeliveredOnce runs the real pipeline against a
// receiver that answers 503, 503, 429 and then 200: the alert arrives once.
func TestFailThreeTimesThenDeliveredOnce(t *testing.T) {
	var c capture
	srv := c.server(t,
		response{status: 503}, response{status: 503},
		response{status: 429, header: map[string]string{"Retry-After": "1"}},
		response{status: 200})
	wh, err := NewWebhook(WebhookConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	d, clk := dispatchTo(t, nil, dispatch.Receiver{Name: "hook", Notifier: wh})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fireOnce(ctx, d, clk); err != nil {
		t.Fatal(err)
	}
	reqs := c.all()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4 (3 failures + 1 success)", len(reqs))
	}
	// Nothing more goes out: the group is notified, the alert unchanged.
	clk.Advance(time.Minute)
	d.Receive(testNotification().Alerts[:1])
	alerthook.Tick(d)
	_ = d.Flush(ctx)
	if n := len(c.all()); n != 4 {
		t.Fatalf("alert delivered again: %d requests", n)
	}
}

// TestSecretsNeverLogged drives the real pipeline into final failures of
// notifiers whose secrets sit in the URL path, the body and a header, and
// checks the log line and the error text.
func TestSecretsNeverLogged(t *testing.T) {
	// Each provider answers 401 and echoes its own credential, as real
	// APIs sometimes do.
	echo := func(secret string) string {
		var c capture
		return c.server(t, response{status: 401, body: `{"ok":false,"error_code":401,"description":"Unauthorized: ` + secret + `"}`}).URL
	}
	tg, _ := NewTelegram(TelegramConfig{Token: "999:TOPSECRET", ChatID: "1", URL: echo("999:TOPSECRET")})
	pd, _ := NewPagerDuty(PagerDutyConfig{RoutingKey: "ROUTINGKEYSECRET", URL: echo("ROUTINGKEYSECRET")})
	og, _ := NewOpsgenie(OpsgenieConfig{APIKey: "GENIEKEYSECRET", URL: echo("GENIEKEYSECRET")})
	sl, _ := NewSlack(SlackConfig{WebhookURL: echo("/services/T1/B1/HOOKSECRET") + "/services/T1/B1/HOOKSECRET"})
	var logs bytes.Buffer
	d, clk := dispatchTo(t, slog.New(slog.NewTextHandler(&logs, nil)),
		dispatch.Receiver{Name: "tg", Notifier: tg},
		dispatch.Receiver{Name: "pd", Notifier: pd},
		dispatch.Receiver{Name: "og", Notifier: og},
		dispatch.Receiver{Name: "slack", Notifier: sl})
	_ = fireOnce(context.Background(), d, clk)
	out := logs.String()
	if strings.Count(out, "alert notification failed") != 4 {
		t.Fatalf("want one failure line per receiver:\n%s", out)
	}
	for _, secret := range []string{"TOPSECRET", "ROUTINGKEYSECRET", "GENIEKEYSECRET", "HOOKSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %s:\n%s", secret, out)
		}
	}
}
