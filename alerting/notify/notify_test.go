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
	"github.com/jackcode/igmon/internal/clock"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func testNotification() *alerting.Notification {
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
	return &alerting.Notification{
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
	var de *alerting.DeliveryError
	if errors.As(err, &de) {
		return de.RetryAfter
	}
	return 0
}

func TestWebhookV4Shape(t *testing.T) {
	var c capture
	srv := c.server(t, response{status: 200})
	w, err := NewWebhook(WebhookConfig{URL: srv.URL + "/hook?token=s3cr3t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	r := c.all()[0]
	if r.method != http.MethodPost || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s %s", r.method, r.header.Get("Content-Type"))
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
	m := w.Message(testNotification())
	if len(m.Alerts) != 1 || m.TruncatedAlerts != 1 {
		t.Fatalf("alerts=%d truncated=%d", len(m.Alerts), m.TruncatedAlerts)
	}
}

func TestAlertmanagerV2Shape(t *testing.T) {
	var c capture
	srv := c.server(t, response{status: 200})
	am, err := NewAlertmanager(AlertmanagerConfig{URL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := am.Notify(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	r := c.all()[0]
	if r.path != "/api/v2/alerts" {
		t.Fatalf("path %s", r.path)
	}
	var body []map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 2 {
		t.Fatalf("body %s: %v", r.body, err)
	}
	if _, ok := body[0]["endsAt"]; ok {
		t.Error("firing alert must not carry endsAt")
	}
	if body[1]["endsAt"] != "2026-03-02T10:00:00Z" || body[0]["labels"].(map[string]any)["alertname"] != "DepositErrors" {
		t.Errorf("body %v", body)
	}
}

func TestSlackShapeAndErrorCodes(t *testing.T) {
	var c capture
	srv := c.server(t, response{status: 200, body: "ok"})
	s, err := NewSlack(SlackConfig{WebhookURL: srv.URL + "/services/T000/B000/XXXX"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	m := decode(t, c.all()[0].body)
	att := m["attachments"].([]any)[0].(map[string]any)
	if !strings.HasPrefix(m["text"].(string), "[FIRING:1] payments") || att["color"] != "danger" {
		t.Errorf("message %v", m)
	}
	if !strings.Contains(att["text"].(string), "stripe &lt;deposit&gt; errors 12% &amp; rising") {
		t.Errorf("text not escaped: %q", att["text"])
	}
	cases := []struct {
		status     int
		body       string
		header     map[string]string
		permanent  bool
		retryAfter time.Duration
	}{
		{400, "invalid_payload", nil, true, 0},
		{403, "action_prohibited", nil, true, 0},
		{404, "channel_not_found", nil, true, 0},
		{410, "channel_is_archived", nil, true, 0},
		{429, "rate_limited", map[string]string{"Retry-After": "7"}, false, 7 * time.Second},
		{500, "rollup_error", nil, false, 0},
	}
	for _, tc := range cases {
		var c capture
		srv := c.server(t, response{status: tc.status, body: tc.body, header: tc.header})
		s, _ := NewSlack(SlackConfig{WebhookURL: srv.URL + "/services/T000/B000/SECRETPATH"})
		err := s.Notify(context.Background(), testNotification())
		if err == nil || errors.Is(err, alerting.ErrPermanent) != tc.permanent || retryAfter(err) != tc.retryAfter {
			t.Errorf("%d %s: err=%v permanent=%v retryAfter=%v", tc.status, tc.body, err, errors.Is(err, alerting.ErrPermanent), retryAfter(err))
		}
		if err != nil && (strings.Contains(err.Error(), "SECRETPATH") || !strings.Contains(err.Error(), tc.body)) {
			t.Errorf("error %q leaks the URL or hides Slack's reason", err)
		}
	}
}

func TestPagerDutyTriggerResolveDedupKey(t *testing.T) {
	var c capture
	srv := c.server(t, response{status: 202, body: `{"status":"success","message":"Event processed","dedup_key":"x"}`})
	const key = "R0UT1NGK3Y0123456789abcdef012345"
	pd, err := NewPagerDuty(PagerDutyConfig{RoutingKey: key, URL: srv.URL + "/v2/enqueue", Source: "casino-api"})
	if err != nil {
		t.Fatal(err)
	}
	n := testNotification()
	if err := pd.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	reqs := c.all()
	if len(reqs) != 2 || reqs[0].path != "/v2/enqueue" {
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
	want := "igmon-" + n.Alerts[0].Labels.Clone().Fingerprint()
	if trig["dedup_key"] != want || trig["dedup_key"] == res["dedup_key"] {
		t.Errorf("dedup_key %v, want %v", trig["dedup_key"], want)
	}
	for _, tc := range []struct {
		status    int
		permanent bool
	}{{400, true}, {429, false}, {500, false}} {
		var c capture
		srv := c.server(t, response{status: tc.status, body: `{"status":"invalid event","message":"routing_key ` + key + ` unknown"}`})
		pd, _ := NewPagerDuty(PagerDutyConfig{RoutingKey: key, URL: srv.URL})
		err := pd.Notify(context.Background(), n)
		if err == nil || errors.Is(err, alerting.ErrPermanent) != tc.permanent {
			t.Errorf("%d: %v", tc.status, err)
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("%d: error leaks the routing key: %v", tc.status, err)
		}
	}
}

func TestTelegramHTMLAndRetryAfter(t *testing.T) {
	var c capture
	srv := c.server(t, response{status: 200, body: `{"ok":true,"result":{"message_id":1}}`})
	const token = "123456:AAH-secret-token"
	tg, err := NewTelegram(TelegramConfig{Token: token, ChatID: "-1001234", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Notify(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	r := c.all()[0]
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

	var c2 capture
	srv2 := c2.server(t, response{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`})
	tg2, _ := NewTelegram(TelegramConfig{Token: token, ChatID: "@alerts", URL: srv2.URL})
	err = tg2.Notify(context.Background(), testNotification())
	if retryAfter(err) != 3*time.Second || errors.Is(err, alerting.ErrPermanent) {
		t.Errorf("429: %v", err)
	}
	var c3 capture
	srv3 := c3.server(t, response{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"}`})
	tg3, _ := NewTelegram(TelegramConfig{Token: token, ChatID: "@alerts", URL: srv3.URL})
	err = tg3.Notify(context.Background(), testNotification())
	if !errors.Is(err, alerting.ErrPermanent) {
		t.Errorf("400: %v", err)
	}
	// Connection refused: the token is in the URL path and must not leak.
	srv3.Close()
	err = tg3.Notify(context.Background(), testNotification())
	if err == nil || strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), "/bot") {
		t.Errorf("transport error leaks the URL: %v", err)
	}
}

func TestOpsgenieCreateAndClose(t *testing.T) {
	var c capture
	srv := c.server(t, response{status: 202, body: `{"result":"Request will be processed","requestId":"abc"}`})
	og, err := NewOpsgenie(OpsgenieConfig{APIKey: "genie-secret", URL: srv.URL,
		Responders: []OpsgenieResponder{{Type: "team", Name: "payments"}}})
	if err != nil {
		t.Fatal(err)
	}
	n := testNotification()
	if err := og.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	reqs := c.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
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
	var c2 capture
	srv2 := c2.server(t, response{status: 401, body: `{"message":"Key genie-secret is invalid"}`})
	og2, _ := NewOpsgenie(OpsgenieConfig{APIKey: "genie-secret", URL: srv2.URL})
	err = og2.Notify(context.Background(), n)
	if !errors.Is(err, alerting.ErrPermanent) || strings.Contains(err.Error(), "genie-secret") {
		t.Errorf("401: %v", err)
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
	clk := clock.NewFake(t0)
	d, err := alerting.NewDispatcher(alerting.WithClock(clk),
		alerting.WithRetryWait(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
		alerting.WithReceiver(alerting.Receiver{Name: "hook", Notifier: wh}),
		alerting.WithRoute(alerting.Route{Receivers: []string{"hook"}, GroupWait: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Receive(testNotification().Alerts[:1])
	clk.Advance(time.Second)
	d.Tick()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := c.all()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4 (3 failures + 1 success)", len(reqs))
	}
	// Nothing more goes out: the group is notified, the alert unchanged.
	clk.Advance(time.Minute)
	d.Receive(testNotification().Alerts[:1])
	d.Tick()
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
	clk := clock.NewFake(t0)
	d, err := alerting.NewDispatcher(alerting.WithClock(clk), alerting.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		alerting.WithRetryWait(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
		alerting.WithReceiver(alerting.Receiver{Name: "tg", Notifier: tg}),
		alerting.WithReceiver(alerting.Receiver{Name: "pd", Notifier: pd}),
		alerting.WithReceiver(alerting.Receiver{Name: "og", Notifier: og}),
		alerting.WithReceiver(alerting.Receiver{Name: "slack", Notifier: sl}),
		alerting.WithRoute(alerting.Route{Receivers: []string{"tg", "pd", "og", "slack"}, GroupWait: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Receive(testNotification().Alerts[:1])
	clk.Advance(time.Second)
	d.Tick()
	_ = d.Flush(context.Background())
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
