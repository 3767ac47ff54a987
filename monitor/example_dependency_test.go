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
