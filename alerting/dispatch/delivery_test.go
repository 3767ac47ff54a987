package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
	"github.com/jackcode/igmon/internal/backoff"
	"github.com/jackcode/igmon/internal/clock"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

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
	d, err := New(withClock(p.clk), alerting.WithMeterProvider(mp), alerting.WithLogger(logger),
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
	p.d.Receive([]alerting.Alert{firing("DepositErrors", map[string]string{"team": "payments"})})
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
