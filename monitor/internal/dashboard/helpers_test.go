package dashboard

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testToken = "ops-token"

// bearer is the authorizer the tests use: Authorization: Bearer ops-token.
func bearer(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+testToken
}

// secretDSN must never reach a response: the handler redacts it.
const secretDSN = "dial postgres://wallet:s3cr3t@db.internal:5432/wallet: connection refused"

// platformSource is a fake Source shaped like a casino backend. It starts
// healthy; fail() injects a Stripe outage with a firing alert. It fills
// details even when not asked, so tests prove the handler withholds them.
type platformSource struct {
	failing atomic.Bool
	calls   atomic.Int64
	err     atomic.Pointer[error]
	now     func() time.Time
}

func newPlatformSource() *platformSource {
	return &platformSource{now: func() time.Time { return time.Date(2025, 11, 24, 12, 0, 0, 0, time.UTC) }}
}

func (p *platformSource) fail() { p.failing.Store(true) }

func (p *platformSource) Snapshot(ctx context.Context, detailed bool) (Snapshot, error) {
	p.calls.Add(1)
	if e := p.err.Load(); e != nil {
		return Snapshot{}, *e
	}
	now := p.now()
	spark := func(base float64) []float64 {
		out := make([]float64, 30)
		for i := range out {
			out[i] = base * (1 + 0.3*math.Sin(float64(i)/3))
		}
		return out
	}
	comp := func(id, name, kind string, p50 float64) Component {
		return Component{
			ID: id, Name: name, Kind: kind, Status: StatusPass,
			P50: p50, P95: p50 * 3, ErrorRate: 0.001, RequestRate: 12.5, Volume: 45000, UptimePct: 99.98,
			LatencySparkline: spark(p50), ErrorSparkline: spark(0.001),
			Details: map[string]string{"endpoint": "https://api.example/v1?token=abc123"},
		}
	}
	host := comp("host", "host web-1", "host", math.NaN())
	host.Summary = "cpu 37% · mem 61% · disk 48%"
	host.P95, host.ErrorRate, host.RequestRate, host.Volume = math.NaN(), math.NaN(), math.NaN(), 0
	host.LatencySparkline, host.ErrorSparkline = nil, nil
	stripe := comp("stripe", "stripe", "payment", 0.180)
	s := Snapshot{
		Service:   ServiceInfo{Name: "casino", Version: "1.4.2", Environment: "production", Instance: "web-1"},
		Generated: now,
		Window:    time.Hour,
		Groups: []Group{
			{Name: GroupServers, Components: []Component{host, comp("process", "process casino", "process", math.NaN())}},
			{Name: GroupAPI, Components: []Component{comp("route-bet", "POST /bet", "route", 0.012), comp("route-deposit", "POST /wallet/deposit", "route", 0.045)}},
			{Name: GroupDatabases, Components: []Component{comp("postgres", "postgres wallet", "database", 0.002)}},
			{Name: GroupPayments, Components: []Component{stripe, comp("adyen", "adyen", "payment", 0.210)}},
			{Name: GroupGames, Components: []Component{comp("evolution", "evolution", "game", 0.090), comp("pragmatic", "pragmatic play", "game", 0.120)}},
			{Name: GroupKYC, Components: []Component{comp("sumsub", "sumsub", "kyc", 0.300)}},
			{Name: GroupNetwork, Components: []Component{comp("dns-psp", "dns api.stripe.com", "probe", 0.004), comp("tls-psp", "tls api.stripe.com", "probe", 0.030)}},
		},
		Silences: []Silence{{ID: "s-1", Matchers: []Matcher{{Name: "alertname", Op: "=", Value: "KYCSlow"}},
			Author: "dana", Comment: "vendor maintenance, ticket OPS-12", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)}},
		Events: []Event{{Time: now.Add(-5 * time.Minute), Component: "postgres", Severity: "info", Kind: "check",
			Message: "postgres: fail → pass", Detail: secretDSN}},
	}
	// The override on adyen shows in every snapshot.
	s.Groups[3].Components[1].Override = &Override{Status: StatusFail, Reason: "PSP migration window", SetAt: now.Add(-10 * time.Minute)}
	if p.failing.Load() {
		g := &s.Groups[3].Components[0]
		g.Status = StatusFail
		g.Since = now.Add(-2 * time.Minute)
		g.ErrorRate = 0.42
		g.LastError = secretDSN
		g.LastErrorAt = now.Add(-3 * time.Second)
		s.Alerts = append(s.Alerts, Alert{
			Name: "PaymentProviderErrors", State: AlertFiring, Severity: "critical", Since: now.Add(-time.Minute),
			Labels:      map[string]string{"component": "stripe", "provider": "stripe"},
			Annotations: map[string]string{"summary": "stripe error rate 42% over 5m", "runbook": "https://runbooks/psp?token=abc"},
			Value:       0.42,
			Evidence:    []string{"postgres began failing 20s before stripe errors rose: " + secretDSN},
		})
		s.Events = append([]Event{{Time: now.Add(-time.Minute), Component: "stripe", Severity: "error", Kind: "alert",
			Message: "PaymentProviderErrors firing"}}, s.Events...)
	}
	return s, nil
}

// fakeActions records what the handler asked for.
type fakeActions struct {
	mu    sync.Mutex
	calls []string
	err   error
	req   SilenceRequest
}

func (f *fakeActions) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}

func (f *fakeActions) Silence(_ context.Context, req SilenceRequest) (string, error) {
	f.mu.Lock()
	f.req = req
	f.mu.Unlock()
	if err := f.record("silence " + req.Comment); err != nil {
		return "", err
	}
	return "sil-42", nil
}
func (f *fakeActions) Unsilence(_ context.Context, id string) error {
	return f.record("unsilence " + id)
}
func (f *fakeActions) Override(_ context.Context, c string, s Status, reason string) error {
	return f.record("override " + c + " " + string(s) + " " + reason)
}
func (f *fakeActions) ClearOverride(_ context.Context, c, reason string) error {
	return f.record("clear " + c + " " + reason)
}

func (f *fakeActions) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// logBuffer is a concurrency-safe sink for a JSON slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewJSONHandler(lb, nil)), lb
}

func mustNew(t testing.TB, src Source, opts ...Option) *Handler {
	t.Helper()
	h, err := New(src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// do serves one request in-process and returns the recorder.
func do(h http.Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var errBoom = errors.New("source down: password=hunter2")
