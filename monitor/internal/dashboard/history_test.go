package dashboard

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

// secretHistory is a history source whose reasons carry a secret, and
// that refuses 7d as a source without durable history does.
type secretHistory struct{ platformSource }

func (s *secretHistory) History(ctx context.Context, span time.Duration) (History, error) {
	if span > 24*time.Hour {
		return History{}, ErrInvalid
	}
	start := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	return History{Range: span, Step: time.Minute, Window: time.Minute, Points: 2, Start: start,
		Ranges: []time.Duration{15 * time.Minute, time.Hour},
		Components: []ComponentHistory{{ID: "stripe", RequestRate: []float64{2, math.NaN()}, ErrorRate: []float64{0.5, math.NaN()},
			P50: []float64{0.1, math.NaN()}, P95: []float64{0.9, math.NaN()}, Status: []Status{StatusFail, ""},
			Alerts: []AlertSpan{{Name: "PaymentProviderErrors", Severity: "page", From: start}},
			Uptime: []UptimeSegment{{From: start, To: start.Add(2 * time.Minute), Status: StatusFail,
				Reason: "dial postgres://u:hunter2@db/x failed"}},
			UptimePct: map[string]float64{"24h": 50}}}}, nil
}

func TestHistoryJSON(t *testing.T) {
	h := mustNew(t, &secretHistory{*newPlatformSource()}, WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ok" }))
	tests := []struct {
		name, target string
		hdr          []string
		code         int
		want         string
	}{
		{"default range", "/history.json", nil, 200, `"rangeSeconds":900`},
		{"1h", "/history.json?range=1h", nil, 200, `"rangeSeconds":3600`},
		{"unknown range names the parameter", "/history.json?range=2w", nil, 400, `range must be one of`},
		{"junk range", "/history.json?range=" + strings.Repeat("9", 100), nil, 400, `range must be one of`},
		{"7d without durable history", "/history.json?range=7d", nil, 400, `durable history`},
		{"authorized viewers get the same", "/history.json?range=1h", []string{"Authorization", "Bearer ok"}, 200, `"status":"f-"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := do(h, "GET", tt.target, "", tt.hdr...)
			if rr.Code != tt.code || !strings.Contains(rr.Body.String(), tt.want) {
				t.Fatalf("%d %s, want %d with %s", rr.Code, rr.Body.String(), tt.code, tt.want)
			}
			if strings.Contains(rr.Body.String(), "hunter2") {
				t.Fatal("history.json leaks a secret from a reason")
			}
		})
	}
	var got struct {
		StepSeconds float64  `json:"stepSeconds"`
		Ranges      []string `json:"ranges"`
		Components  []struct {
			ID        string             `json:"id"`
			P95       []*float64         `json:"p95"`
			Alerts    []AlertSpan        `json:"alerts"`
			Uptime    []UptimeSegment    `json:"uptime"`
			UptimePct map[string]float64 `json:"uptimePct"`
		} `json:"components"`
	}
	if err := json.Unmarshal(do(h, "GET", "/history.json?range=1h", "").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	c := got.Components[0]
	if got.StepSeconds != 60 || strings.Join(got.Ranges, ",") != "15m,1h" || c.ID != "stripe" ||
		*c.P95[0] != 0.9 || c.P95[1] != nil || c.Alerts[0].Name != "PaymentProviderErrors" || c.UptimePct["24h"] != 50 ||
		!strings.Contains(c.Uptime[0].Reason, "REDACTED") {
		t.Fatalf("history.json: %+v", got)
	}
}

func TestHistoryJSONWithoutHistorySource(t *testing.T) {
	h := mustNew(t, newPlatformSource())
	if rr := do(h, "GET", "/history.json", ""); rr.Code != http.StatusNotFound {
		t.Fatalf("%d %s, want 404 from a source without history", rr.Code, rr.Body.String())
	}
}

// countingHistory counts the History calls.
type countingHistory struct {
	secretHistory
	calls atomic.Int64
}

func (c *countingHistory) History(ctx context.Context, span time.Duration) (History, error) {
	c.calls.Add(1)
	return c.secretHistory.History(ctx, span)
}

// TestHistoryJSONIsSharedBetweenViewers: viewers polling the same range
// within half a refresh cost one History call; another range or a later
// poll asks again.
func TestHistoryJSONIsSharedBetweenViewers(t *testing.T) {
	src := &countingHistory{secretHistory: secretHistory{*newPlatformSource()}}
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	h := mustNew(t, src, withClock(clk))
	for range 5 {
		do(h, "GET", "/history.json?range=15m", "")
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d History calls for 5 viewers of one range, want 1", n)
	}
	do(h, "GET", "/history.json?range=1h", "")
	clk.Advance(DefaultRefresh)
	do(h, "GET", "/history.json?range=15m", "")
	if n := src.calls.Load(); n != 3 {
		t.Fatalf("%d History calls, want 3 (another range, then a later poll)", n)
	}
}
