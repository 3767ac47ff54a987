package alerting

// Tests added by the issue-7 audit: Alertmanager-compatible matchers and
// silences, label escaping, template errors, Retry-After parsing, delivery
// properties (backoff, timeout, one log line per final failure), DST-aware
// maintenance windows and inhibition by unrouted alerts.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
	"github.com/jackcode/igmon/internal/backoff"
	"github.com/jackcode/igmon/internal/clock"
)

func TestLabelsStringEscapesValues(t *testing.T) {
	l := Labels{"alertname": "X", "db": `wal"let`, "path": `C:\tmp`, "msg": "a\nb}", "team name": "ops"}
	got := l.String()
	want := `{alertname="X", db="wal\"let", msg="a\nb}", path="C:\\tmp", "team name"="ops"}`
	if got != want {
		t.Fatalf("String() = %s\nwant        %s", got, want)
	}
	// The rendering parses back to the same labels: no value can close
	// the braces or forge another label.
	ms, err := ParseMatchers(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(l) || !ms.matchLabels(l) {
		t.Fatalf("round trip %v does not match %v", ms, l)
	}
}

func TestParseMatchersAlertmanagerSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want string // String() of the result; "" for an error
	}{
		{`alertname="DatabaseDown"`, `{alertname="DatabaseDown"}`},
		{`alertname=DatabaseDown`, `{alertname="DatabaseDown"}`}, // amtool style
		{`{team=~payments|kyc, severity!=ticket}`, `{team=~"payments|kyc", severity!="ticket"}`},
		{` team = payments `, `{team="payments"}`},
		{`"igmon.check.name"="postgres"`, `{igmon.check.name="postgres"}`},
		{`"team name"!~"a.*"`, `{"team name"!~"a.*"}`},
		{`db=""`, `{db=""}`},
		{`db=`, ""},
		{`db=a"b`, ""},
		{`db="open`, ""},
		{`=x`, ""},
		{`a=~"("`, ""},
		{`a=b c`, `{a="b c"}`},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, errSyntax) {
				t.Errorf("ParseMatchers(%q) = %v, %v; want a syntax error", tt.in, ms, err)
			}
			continue
		}
		if err != nil || ms.String() != tt.want {
			t.Errorf("ParseMatchers(%q) = %v, %v; want %s", tt.in, ms, err, tt.want)
			continue
		}
		again, err := ParseMatchers(ms.String())
		if err != nil || again.String() != ms.String() {
			t.Errorf("round trip of %s: %v %v", ms, again, err)
		}
	}
	// Rule selectors stay PromQL: values must be quoted.
	if _, err := ParseSelector(`cpu{mode=idle}`); err == nil {
		t.Error("ParseSelector accepted an unquoted value")
	}
}

func TestSilenceRegexAndNegativeMatchers(t *testing.T) {
	ss := newSilences(clock.NewFake(t0))
	ms, err := ParseMatchers(`alertname=~"PSP.*", team!="games"`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Add(Silence{Matchers: ms, EndsAt: t0.Add(time.Hour), CreatedBy: "ana", Comment: "PSP cutover"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		labels Labels
		muted  bool
	}{
		{Labels{"alertname": "PSPDown", "team": "payments"}, true},
		{Labels{"alertname": "PSPLatency"}, true}, // missing team is "" which is != games
		{Labels{"alertname": "PSPDown", "team": "games"}, false},
		{Labels{"alertname": "XPSPDown", "team": "payments"}, false}, // anchored: PSP.* must match all
		{Labels{"alertname": "psp", "team": "payments"}, false},
	}
	for _, tt := range tests {
		if _, got := ss.mutedBy(tt.labels, t0.Add(time.Minute)); got != tt.muted {
			t.Errorf("Mutes(%v) = %v, want %v", tt.labels, got, tt.muted)
		}
	}
	if _, got := ss.mutedBy(Labels{"alertname": "PSPDown"}, t0.Add(time.Hour)); got {
		t.Error("silence mutes at its end time")
	}
}

func TestParseDurationOverflow(t *testing.T) {
	for _, in := range []string{"99999999999999d", "106752d", "2562047h1d"} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an out-of-range error", in, d)
		}
	}
	if d, err := parseDuration("106751d"); err != nil || d != 106751*24*time.Hour {
		t.Errorf("largest day count: %v %v", d, err)
	}
}

func TestTemplatesPrometheusCompatibleAndCheckedAtBuild(t *testing.T) {
	m := newMeters(t)
	e := newEval(t, m, []Rule{{Name: "CPU", Labels: map[string]string{"team": "platform"},
		Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9},
		Annotations: map[string]string{
			"summary":     `{{ $labels.team }}: CPU {{ $value | humanizePercentage }}`,
			"description": `{{ .Labels.team }} {{ percent .Value }} of {{ .Threshold }} ({{ .State }})`,
			"broken":      `{{ if lt .Value 0.99 }}{{ .Labels.team.name }}{{ end }}`,
		}}})
	m.cpu.Record(context.Background(), 0.95)
	a := find(eval(t, e), "CPU")
	if a == nil {
		t.Fatal("no alert")
	}
	if got := a.Annotations["summary"]; got != "platform: CPU 95.00%" {
		t.Errorf("summary = %q", got)
	}
	if got := a.Annotations["description"]; got != "platform 95.00% of 0.9 (firing)" {
		t.Errorf("description = %q", got)
	}
	// A template that only fails on some values renders its error, with
	// the position text/template reports for the text as written (not
	// shifted by the $value/$labels prelude).
	plain := template.Must(template.New("CPU/broken").Funcs(templateFuncs).Option("missingkey=zero").
		Parse(`{{ if lt .Value 0.99 }}{{ .Labels.team.name }}{{ end }}`))
	want := plain.Execute(io.Discard, &templateData{Value: 0.95, Labels: a.Labels})
	if got := a.Annotations["broken"]; want == nil || got != "template error: "+want.Error() {
		t.Errorf("runtime template error = %q, want %q", got, want)
	}

	// Mistakes that only execution finds are refused when the rule is
	// built, naming the annotation.
	for _, tmpl := range []string{`{{ .Valu }}`, `{{ percent .Labels }}`, `{{ $labels.team.name }}`, `{{ $valeu }}`} {
		r := Rule{Name: "R", Condition: &Threshold{Metric: Selector{Metric: "x"}}, Labels: map[string]string{"team": "t"},
			Annotations: map[string]string{"summary": tmpl}}
		err := r.validate(newValidation())
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field != "annotations.summary" || strings.Contains(err.Error(), "$value := .Value") {
			t.Errorf("%s: %v", tmpl, err)
		}
	}
	r := Rule{Name: "R", Condition: &Threshold{Metric: Selector{Metric: "x"}},
		Annotations: map[string]string{"summary": "ok\n{{ .Valu }}"}}
	if err := r.validate(newValidation()); err == nil || !strings.Contains(err.Error(), "R/summary:2:3:") {
		t.Errorf("second-line error position: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"1.5", 0},
		{"soon", 0},
		{"Wed, 21 Oct 2026 07:30:00 GMT", 2 * time.Minute},      // IMF-fixdate
		{"Wednesday, 21-Oct-26 07:29:30 GMT", 90 * time.Second}, // RFC 850
		{"Wed Oct 21 07:28:45 2026", 45 * time.Second},          // asctime
		{"Wed, 21 Oct 2026 07:00:00 GMT", 0},                    // in the past
		{"99999999999999999", 24 * time.Hour},                   // would overflow
		{"Fri, 21 Oct 2033 07:28:00 GMT", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := deliveryerr.ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("deliveryerr.ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHTTPStatusErrorClassification(t *testing.T) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		code       int
		retryAfter string
		permanent  bool
		wait       time.Duration
	}{
		{400, "", true, 0}, {401, "", true, 0}, {403, "", true, 0}, {404, "", true, 0}, {410, "", true, 0},
		{422, "", true, 0},
		{401, "30", true, 0}, // a permanent failure ignores Retry-After
		{408, "", false, 0},
		{429, "5", false, 5 * time.Second},
		{500, "", false, 0}, {502, "", false, 0}, {504, "", false, 0},
		{503, "Wed, 21 Oct 2026 07:31:00 GMT", false, 3 * time.Minute},
		{503, "120", false, 2 * time.Minute},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.code, Header: http.Header{}}
		if tt.retryAfter != "" {
			resp.Header.Set("Retry-After", tt.retryAfter)
		}
		err := deliveryerr.HTTPStatusError("hook", resp, "body", now)
		permanent, wait := classify(err)
		if permanent != tt.permanent || wait != tt.wait || errors.Is(err, ErrPermanent) != tt.permanent {
			t.Errorf("%d Retry-After %q: permanent=%v wait=%v, want %v %v", tt.code, tt.retryAfter, permanent, wait, tt.permanent, tt.wait)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("hook: HTTP %d: body", tt.code)) {
			t.Errorf("error text %q", err)
		}
	}
}

// retryPipe is a dispatcher with one receiver whose waits are recorded
// instead of slept.
type retryPipe struct {
	d      *Dispatcher
	clk    *clock.Fake
	reader *sdkmetric.ManualReader
	logs   *bytes.Buffer
	mu     sync.Mutex
	waits  []time.Duration
	outs   []deliveryOutcome
}

func newRetryPipe(t *testing.T, rc Receiver) *retryPipe {
	t.Helper()
	p := &retryPipe{clk: clock.NewFake(t0), reader: sdkmetric.NewManualReader(), logs: &bytes.Buffer{}}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return p.logs.Write(b)
	}), nil))
	d, err := NewDispatcher(withClock(p.clk), WithMeterProvider(mp), WithLogger(logger),
		withRetryWait(func(ctx context.Context, d time.Duration) error {
			p.mu.Lock()
			p.waits = append(p.waits, d)
			p.mu.Unlock()
			return ctx.Err()
		}),
		withDeliveryListener(func(d deliveryOutcome) {
			p.mu.Lock()
			p.outs = append(p.outs, d)
			p.mu.Unlock()
		}),
		WithReceiver(rc), WithRoute(Route{Receivers: []string{rc.Name}, GroupWait: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	p.d = d
	return p
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func (p *retryPipe) fire(t *testing.T) {
	t.Helper()
	p.d.Receive([]Alert{firing("DepositErrors", map[string]string{"team": "payments"})})
	p.clk.Advance(time.Second)
	p.d.tick()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDeliveryBackoffGrowsWithJitter(t *testing.T) {
	rec := &recorder{errFn: func(n int) error {
		if n < 5 {
			return errors.New("connection reset")
		}
		return nil
	}}
	p := newRetryPipe(t, Receiver{Name: "hook", Notifier: rec, MaxAttempts: 6,
		Backoff: backoff.Policy{Initial: time.Second, Max: 8 * time.Second, Multiplier: 2}})
	p.fire(t)
	if got := rec.take(); len(got) != 1 {
		t.Fatalf("delivered %d times, want once", len(got))
	}
	ceilings := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waits) != len(ceilings) {
		t.Fatalf("waits %v, want %d", p.waits, len(ceilings))
	}
	jittered := false
	for i, c := range ceilings {
		if p.waits[i] < c/2 || p.waits[i] > c {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, p.waits[i], c/2, c)
		}
		jittered = jittered || p.waits[i] != c
	}
	if !jittered {
		t.Error("every wait equals its ceiling: no jitter")
	}
}

func TestRetryAfterCappedByMaxRetryAfter(t *testing.T) {
	rec := &recorder{errFn: func(n int) error {
		if n == 0 {
			return deliveryerr.WithRetryAfter(errors.New("HTTP 429"), time.Hour)
		}
		return nil
	}}
	p := newRetryPipe(t, Receiver{Name: "slack", Notifier: rec, MaxRetryAfter: 2 * time.Minute})
	p.fire(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waits) != 1 || p.waits[0] != 2*time.Minute {
		t.Fatalf("waits %v, want one of 2m (Retry-After 1h capped)", p.waits)
	}
}

func TestAttemptTimeoutPerReceiver(t *testing.T) {
	var deadlines []time.Duration
	var mu sync.Mutex
	n := NotifierFunc(func(ctx context.Context, _ *Notification) error {
		dl, ok := ctx.Deadline()
		mu.Lock()
		defer mu.Unlock()
		if !ok {
			deadlines = append(deadlines, -1)
		} else {
			deadlines = append(deadlines, time.Until(dl))
		}
		if len(deadlines) == 1 {
			return context.DeadlineExceeded // a timed-out attempt is retried
		}
		return nil
	})
	p := newRetryPipe(t, Receiver{Name: "pd", Notifier: n, Timeout: 3 * time.Second})
	p.fire(t)
	mu.Lock()
	defer mu.Unlock()
	if len(deadlines) != 2 {
		t.Fatalf("attempts %d, want 2 (timeout retried)", len(deadlines))
	}
	for _, d := range deadlines {
		if d <= 0 || d > 3*time.Second {
			t.Errorf("attempt deadline in %v, want within (0, 3s]", d)
		}
	}
}

func TestExhaustedRetriesOneLogLineMetricsAndFallback(t *testing.T) {
	const secret = "https://hooks.example/T1/B1/s3cr3tT0ken"
	primary := NotifierFunc(func(context.Context, *Notification) error {
		// A notifier bug that leaks its URL: the log line still redacts
		// credentials in key=value form.
		return errors.New("HTTP 503 token=" + secret)
	})
	fb := &recorder{}
	p := newRetryPipe(t, Receiver{Name: "slack", Notifier: primary, Fallback: fb, MaxAttempts: 3})
	p.fire(t)
	logs := p.logs.String()
	if n := strings.Count(logs, "alert notification failed"); n != 1 {
		t.Errorf("%d failure lines, want exactly 1:\n%s", n, logs)
	}
	if strings.Contains(logs, "s3cr3tT0ken") {
		t.Errorf("log leaks the token:\n%s", logs)
	}
	if got := fb.take(); len(got) != 1 {
		t.Errorf("fallback got %d notifications, want 1", len(got))
	}
	got := notificationCounts(t, p.reader)
	want := map[string]int64{"slack/retried": 2, "slack/failed": 1, "slack/sent": 0, "slack/fallback/sent": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.outs) != 1 || p.outs[0].Err == nil || p.outs[0].Firing != 1 {
		t.Errorf("delivery listener saw %+v, want one failed delivery of 1 firing alert", p.outs)
	}
}

func TestInhibitionByUnroutedSourceAndOnlyWhileFiring(t *testing.T) {
	src, _ := ParseMatchers(`alertname=EgressDown`)
	tgt, _ := ParseMatchers(`igmon.dependency.kind=payment`)
	route, _ := ParseMatchers(`team=payments`)
	p := newPipe(t,
		// Only team=payments is routed: EgressDown reaches no receiver.
		WithRoute(Route{Matchers: route, Receivers: []string{"oncall"}, GroupBy: []string{"instance"},
			GroupWait: time.Second, GroupInterval: time.Minute}),
		WithInhibitRule(InhibitRule{Source: src, Target: tgt}))
	egress := firing("EgressDown", map[string]string{"instance": "egress"})
	stripe := firing("PSPErrors", map[string]string{"team": "payments", "igmon.dependency.kind": "payment", "instance": "stripe"})
	p.d.Receive([]Alert{egress, stripe})
	if got := p.at(2 * time.Second); len(got) != 0 {
		t.Fatalf("child of a firing, unrouted parent was notified: %+v", got[0])
	}
	// The parent resolves: the child is no longer inhibited.
	p.d.Receive([]Alert{resolved(egress), stripe})
	got := p.at(2*time.Second + time.Minute)
	if len(got) != 1 || fps(got[0])["stripe"] != StateFiring {
		t.Fatalf("after the parent resolved: %+v", got)
	}
}

func TestGroupByAll(t *testing.T) {
	p := newPipe(t, WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{groupByAll}, GroupWait: time.Second}))
	p.d.Receive([]Alert{
		firing("A", map[string]string{"instance": "a"}),
		firing("A", map[string]string{"instance": "b"}),
	})
	got := p.at(time.Second)
	if len(got) != 2 {
		t.Fatalf("%d notifications, want one per alert", len(got))
	}
	for _, n := range got {
		if len(n.Alerts) != 1 || n.GroupLabels["instance"] == "" || n.GroupLabels[LabelAlertName] != "A" {
			t.Errorf("group %v with %d alerts", n.GroupLabels, len(n.Alerts))
		}
	}
	if _, err := NewDispatcher(WithReceiver(Receiver{Name: "x", Notifier: &recorder{}}),
		WithRoute(Route{Receivers: []string{"x"}, GroupBy: []string{groupByAll, "team"}})); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("groupByAll with other labels: %v", err)
	}
}

type resender struct {
	recorder
	every time.Duration
}

func (r *resender) ResendInterval() time.Duration { return r.every }

func TestResenderNeedsShortRepeat(t *testing.T) {
	am := &resender{every: time.Minute}
	_, err := NewDispatcher(WithReceiver(Receiver{Name: "am", Notifier: am}),
		WithRoute(Route{Receivers: []string{"am"}})) // defaults: 5m group interval, 4h repeat
	if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), `"am"`) || !strings.Contains(err.Error(), "RepeatInterval") {
		t.Fatalf("route re-sending every 4h to a 1m resender: %v", err)
	}
	// Repeats are only checked at group flushes: 1m repeat with a 90s
	// group interval re-sends every 90s.
	_, err = NewDispatcher(WithReceiver(Receiver{Name: "am", Notifier: am}),
		WithRoute(Route{Receivers: []string{"am"}, GroupInterval: 90 * time.Second, RepeatInterval: time.Minute}))
	if !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("90s group interval accepted: %v", err)
	}
	// Without routes the default route adapts, and the alert is re-sent
	// every minute while it fires.
	p := &pipe{t: t, clk: clock.NewFake(t0), rec: &am.recorder}
	d, err := NewDispatcher(withClock(p.clk), WithReceiver(Receiver{Name: "am", Notifier: am}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	p.d = d
	a := firing("X", nil)
	d.Receive([]Alert{a})
	if got := p.at(30 * time.Second); len(got) != 1 {
		t.Fatalf("first notification: %d", len(got))
	}
	for i := 1; i <= 3; i++ {
		d.Receive([]Alert{a})
		got := p.at(30*time.Second + time.Duration(i)*time.Minute)
		if len(got) != 1 || got[0].Reason != "repeat" {
			t.Fatalf("minute %d: %+v, want a repeat", i, got)
		}
	}
}

func TestMaintenanceWindowAcrossDSTChanges(t *testing.T) {
	ny, err1 := time.LoadLocation("America/New_York")
	malta, err2 := time.LoadLocation("Europe/Malta")
	if err1 != nil || err2 != nil {
		t.Skip("no tzdata:", err1, err2)
	}
	utc := func(h, m int, day int, month time.Month) time.Time {
		return time.Date(2026, month, day, h, m, 0, 0, time.UTC)
	}
	tests := []struct {
		name string
		w    MaintenanceWindow
		at   time.Time
		want bool
	}{
		// New York springs forward on Sunday 2026-03-08: 02:00 EST → 03:00 EDT.
		// "Sundays 02:00–04:00" opens when the clock jumps, at 03:00 EDT.
		{"NY spring: 01:30 EST is before the window", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(6, 30, 8, 3), false},
		{"NY spring: 01:59 EST", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(6, 59, 8, 3), false},
		{"NY spring: 03:00 EDT opens", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(7, 0, 8, 3), true},
		{"NY spring: 03:59 EDT", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(7, 59, 8, 3), true},
		{"NY spring: 04:00 EDT closes on the wall clock", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(8, 0, 8, 3), false},
		// New York falls back on Sunday 2026-11-01: 02:00 EDT → 01:00 EST.
		// "Sundays 01:00–02:00" opens at the first 01:00 and lasts until 02:00 EST.
		{"NY fall: 00:59 EDT", nyWin(ny, time.Hour, time.Hour), utc(4, 59, 1, 11), false},
		{"NY fall: first 01:30 (EDT)", nyWin(ny, time.Hour, time.Hour), utc(5, 30, 1, 11), true},
		{"NY fall: second 01:30 (EST)", nyWin(ny, time.Hour, time.Hour), utc(6, 30, 1, 11), true},
		{"NY fall: 02:00 EST closes", nyWin(ny, time.Hour, time.Hour), utc(7, 0, 1, 11), false},
		// Malta falls back on Sunday 2026-10-25: 03:00 CEST → 02:00 CET.
		{"Malta fall: first 02:00 (CEST) opens", maltaWin(malta), utc(0, 0, 25, 10), true},
		{"Malta fall: 23:59 UTC is 01:59 CEST", maltaWin(malta), utc(23, 59, 24, 10), false},
		{"Malta fall: second 02:30 (CET)", maltaWin(malta), utc(1, 30, 25, 10), true},
		{"Malta fall: 03:00 CET closes", maltaWin(malta), utc(2, 0, 25, 10), false},
		// An ordinary Sunday: 02:00–03:00 CET.
		{"Malta winter", maltaWin(malta), utc(1, 30, 1, 11), true},
		{"Malta winter end", maltaWin(malta), utc(2, 0, 1, 11), false},
	}
	for _, tt := range tests {
		if got := tt.w.activeAt(tt.at); got != tt.want {
			t.Errorf("%s: Active(%v) = %v, want %v", tt.name, tt.at.In(tt.w.Location), got, tt.want)
		}
	}
}

func nyWin(ny *time.Location, at, d time.Duration) MaintenanceWindow {
	return MaintenanceWindow{Name: "nightly", Weekdays: []time.Weekday{time.Sunday}, TimeOfDay: at, Duration: d, Location: ny}
}

func maltaWin(malta *time.Location) MaintenanceWindow {
	return MaintenanceWindow{Name: "PSP upgrades", Weekdays: []time.Weekday{time.Sunday}, TimeOfDay: 2 * time.Hour,
		Duration: time.Hour, Location: malta}
}

func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{`alertname="DatabaseDown"`, `alertname=DatabaseDown`, `{team=~payments|kyc, severity!=ticket}`,
		`"igmon.check.name"="postgres"`, `a="\"q\""`, `{}`, `x!~""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMatchers(s)
		if err != nil {
			if !errors.Is(err, errSyntax) {
				t.Fatalf("error does not wrap errSyntax: %v", err)
			}
			return
		}
		// What parses renders to text that parses to the same matchers.
		again, err := ParseMatchers(ms.String())
		if err != nil || again.String() != ms.String() {
			t.Fatalf("round trip %q → %s: %v %v", s, ms, again, err)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	for _, s := range []string{"120", "Wed, 21 Oct 2026 07:30:00 GMT", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := deliveryerr.ParseRetryAfter(s, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("deliveryerr.ParseRetryAfter(%q) = %v, want within [0, 24h]", s, d)
		}
	})
}
