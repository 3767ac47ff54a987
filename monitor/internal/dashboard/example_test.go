package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// A Source is whatever knows the platform's state; monitor adapts its
// check registry, metric windows and alerts into one. This one is fixed.
func platform(ctx context.Context, detailed bool) (dashboard.Snapshot, error) {
	stripe := dashboard.Component{
		ID: "stripe", Name: "stripe", Kind: "payment", Status: dashboard.StatusFail,
		P50: 0.18, P95: 0.9, ErrorRate: 0.42, RequestRate: 3.5, Volume: 12600, UptimePct: 97.2,
	}
	if detailed {
		stripe.LastError = "POST /v1/payment_intents: 503 Service Unavailable"
	}
	return dashboard.Snapshot{
		Service: dashboard.ServiceInfo{Name: "casino", Version: "1.4.2"},
		Window:  time.Hour,
		Groups: []dashboard.Group{
			{Name: dashboard.GroupDatabases, Components: []dashboard.Component{{
				ID: "postgres", Name: "postgres wallet", Kind: "database", Status: dashboard.StatusPass,
				P50: 0.002, P95: 0.006, ErrorRate: 0, RequestRate: 40, Volume: 144000, UptimePct: 100,
			}}},
			{Name: dashboard.GroupPayments, Components: []dashboard.Component{stripe}},
			{Name: dashboard.GroupServers, Components: []dashboard.Component{{
				ID: "host", Name: "host web-1", Kind: "host", Status: dashboard.StatusPass,
				Summary: "cpu 37% · mem 61%",
				// Not measured for a host: NaN is shown as "–", not 0.
				P50: math.NaN(), P95: math.NaN(), ErrorRate: math.NaN(), RequestRate: math.NaN(), UptimePct: 100,
			}}},
		},
		Alerts: []dashboard.Alert{{
			Name: "PaymentProviderErrors", State: dashboard.AlertFiring, Severity: "critical",
			Labels: map[string]string{"component": "stripe"}, Value: 0.42,
		}},
	}, nil
}

func Example() {
	h, err := dashboard.New(dashboard.SourceFunc(platform),
		dashboard.WithTitle("Casino platform"),
		dashboard.WithRefresh(2*time.Second),
	)
	if err != nil {
		panic(err)
	}
	defer h.Close() // ends open event streams

	mux := http.NewServeMux()
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/dashboard/status.json")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var s dashboard.Snapshot
	if err := json.Unmarshal(body, &s); err != nil {
		panic(err)
	}
	fmt.Println(s.Title, "is", s.Status)
	for _, g := range s.Groups {
		for _, c := range g.Components {
			fmt.Printf("%s / %s: %s, errors %.0f%%, last error %q\n", g.Name, c.Name, c.Status, c.ErrorRate*100, c.LastError)
		}
	}
	fmt.Println(s.Alerts[0].Name, s.Alerts[0].State)
	// Output:
	// Casino platform is fail
	// Databases / postgres wallet: pass, errors 0%, last error ""
	// Payment providers / stripe: fail, errors 42%, last error ""
	// Servers / host web-1: pass, errors NaN%, last error ""
	// PaymentProviderErrors firing
}

// Operators see details and may silence alerts or put a component into
// maintenance when the authorizer admits them. Use the same authorizer as
// the health endpoints (checks.BearerToken).
func ExampleWithAuthorizer() {
	h, err := dashboard.New(dashboard.SourceFunc(platform),
		dashboard.WithAuthorizer(func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer ops-token"
		}),
	)
	if err != nil {
		panic(err)
	}
	defer h.Close()

	req := httptest.NewRequest("GET", "/status.json", nil)
	req.Header.Set("Authorization", "Bearer ops-token")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var s dashboard.Snapshot
	json.Unmarshal(rec.Body.Bytes(), &s)
	fmt.Println(s.Detailed, s.Groups[1].Components[0].LastError)
	// Output:
	// true POST /v1/payment_intents: 503 Service Unavailable
}

// Badges are shields-style SVGs for READMEs and wallboards.
func ExampleHandler_badge() {
	h, _ := dashboard.New(dashboard.SourceFunc(platform))
	defer h.Close()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/badge/stripe.svg", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output:
	// 200 image/svg+xml; charset=utf-8
}

// withHistory is a Source that also keeps history: the handler then
// serves history.json and the page draws charts and uptime bars.
type withHistory struct{ dashboard.SourceFunc }

func (withHistory) History(ctx context.Context, span time.Duration) (dashboard.History, error) {
	if span > 24*time.Hour {
		return dashboard.History{}, dashboard.ErrInvalid // no durable history: no 7d or 30d
	}
	start := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	return dashboard.History{Range: span, Step: time.Minute, Window: time.Minute, Start: start, Points: 2,
		Ranges: []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour},
		Components: []dashboard.ComponentHistory{{ID: "stripe",
			RequestRate: []float64{3.5, 3.4}, ErrorRate: []float64{0.01, 0.42},
			P50: []float64{0.15, 0.18}, P95: []float64{0.4, 0.9},
			Status: []dashboard.Status{dashboard.StatusPass, dashboard.StatusFail}}}}, nil
}

func ExampleHistorySource() {
	h, _ := dashboard.New(withHistory{platform})
	defer h.Close()
	for _, rng := range []string{"1h", "7d"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/history.json?range="+rng, nil))
		var body struct {
			StepSeconds float64  `json:"stepSeconds"`
			Ranges      []string `json:"ranges"`
			Components  []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"components"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		fmt.Println(rng, rec.Code, body.StepSeconds, body.Ranges, body.Components)
	}
	// Output:
	// 1h 200 60 [15m 1h 6h 24h] [{stripe pf}]
	// 7d 400 0 [] []
}
