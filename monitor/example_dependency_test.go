package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/monitor"
)

var errInsufficientFunds = errors.New("insufficient funds")

// A payment provider reached over HTTP, a game provider through its SDK,
// and passive health from the traffic of both.
func ExampleMonitor_Dependency() {
	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	defer psp.Close()

	m, err := monitor.New(monitor.WithServiceName("wallet"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	stripe, err := m.Dependency(instrument.KindPayment, "stripe", instrument.WithDefaultOperation("charge"))
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: stripe.Transport(nil)}

	// The operation travels in the request's context.
	ctx := instrument.WithOperation(context.Background(), "deposit")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, psp.URL+"/v1/charges", nil)
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	// A non-HTTP client: wrap the call; a business decline is its own
	// outcome and does not count against the provider.
	games, _ := m.Dependency(instrument.KindGameProvider, "pragmatic-play")
	err = games.Track(context.Background(), "place_bet", func(ctx context.Context) error {
		return instrument.Declined(errInsufficientFunds)
	})
	fmt.Println(errors.Is(err, errInsufficientFunds))

	// Passive health: warn at 5% failures, fail at 25%, once 20 calls are in
	// the window.
	check, err := stripe.HealthCheck(instrument.WithMinCalls(20))
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Add(check); err != nil {
		log.Fatal(err)
	}

	// Stats come from the series engine's last cycle: every few seconds
	// once the Monitor is started, or now with Refresh.
	_ = m.Refresh(context.Background())
	st := stripe.Stats()
	fmt.Println(st.Calls, st.Failures, games.Stats().Declined)
	// Output:
	// true
	// 1 0 1
}

// Inbound API metrics with http.route from the ServeMux pattern.
func ExampleMonitor_Middleware() {
	m, err := monitor.New(monitor.WithServiceName("casino-api"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("GET /games/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.PathValue("id"))
	})
	h, err := m.Middleware(mux) // recorded as http.route="/games/{id}"
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/games/42", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 42
}

// A PSP answers HTTP 402 for a declined card: the classifier makes that a
// decline, which does not count against the provider. The call is recorded
// when its body has been read (or closed).
func ExampleMonitor_Dependency_declines() {
	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("card") == "declined" {
			http.Error(w, `{"error":"card_declined"}`, http.StatusPaymentRequired)
			return
		}
		_, _ = io.WriteString(w, `{"id":"ch_1","status":"succeeded"}`)
	}))
	defer psp.Close()

	m, err := monitor.New(monitor.WithServiceName("wallet"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	stripe, err := m.Dependency(instrument.KindPayment, "stripe",
		instrument.WithDefaultOperation("deposit"),
		instrument.WithClassifier(func(resp *http.Response, err error) instrument.Outcome {
			if resp != nil && resp.StatusCode == http.StatusPaymentRequired {
				return instrument.OutcomeDeclined
			}
			return instrument.OutcomeUnset // the default rules
		}))
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: stripe.Transport(nil)}
	for _, card := range []string{"ok", "declined"} {
		resp, err := client.Post(psp.URL+"/v1/charges?card="+card, "application/json", nil)
		if err != nil {
			log.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_ = m.Refresh(context.Background()) // a running Monitor refreshes every few seconds
	st := stripe.Stats()
	fmt.Println(st.Calls, st.Success, st.Declined, st.ErrorRate)
	// Output: 2 1 1 0
}

// Passive health: the provider is judged from the service's real calls,
// without calling it, once the window holds enough of them.
func ExampleMonitor_Dependency_passiveHealth() {
	m, err := monitor.New(monitor.WithServiceName("casino-api"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	evo, _ := m.Dependency(instrument.KindGameProvider, "evolution")
	check, err := evo.HealthCheck(instrument.WithMinCalls(20), instrument.WithErrorRateThresholds(0.05, 0.25))
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Add(check); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	launch := func(fail bool) {
		_ = evo.Track(ctx, "launch_game", func(context.Context) error {
			if fail {
				return errors.New("502 from provider")
			}
			return nil
		})
	}
	launch(true)       // one failure at low volume does not page
	_ = m.Refresh(ctx) // a running Monitor refreshes every few seconds
	fmt.Println(checkstest.Run(ctx, check).Status)
	for i := range 39 {
		launch(i%3 == 0) // 14 of 40 calls failed: 35%
	}
	_ = m.Refresh(ctx)
	o := checkstest.Run(ctx, check)
	fmt.Println(o.Status, o.Observation.Value, o.Observation.Unit)
	// Output:
	// pass
	// fail 35 %
}
