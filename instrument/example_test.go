package instrument_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/instrument"
)

var errInsufficientFunds = errors.New("insufficient funds")

// calls returns the value of igmon.dependency.calls summed over its series.
func calls(r sdkmetric.Reader) int64 {
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "igmon.dependency.calls" {
				for _, dp := range s.DataPoints {
					n += dp.Value
				}
			}
		}
	}
	return n
}

// A payment provider reached over HTTP and a game provider through its
// SDK, recorded into a MeterProvider the service built itself; no Monitor.
func ExampleNewDependency() {
	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	defer psp.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	stripe, err := instrument.NewDependency(instrument.KindPayment, "stripe",
		instrument.WithMeterProvider(mp), instrument.WithDefaultOperation("charge"))
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
	resp.Body.Close() // the call is recorded when its body ends

	// A non-HTTP client: wrap the call; a business decline is its own
	// outcome and does not count against the provider.
	games, _ := instrument.NewDependency(instrument.KindGameProvider, "pragmatic-play", instrument.WithMeterProvider(mp))
	err = games.Track(context.Background(), "place_bet", func(ctx context.Context) error {
		return instrument.Declined(errInsufficientFunds)
	})
	fmt.Println(errors.Is(err, errInsufficientFunds), calls(reader))
	// Output: true 2
}

// Inbound API metrics with http.route from the ServeMux pattern.
func ExampleMiddleware() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("GET /games/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.PathValue("id"))
	})
	h, err := instrument.Middleware(mux, instrument.WithMeterProvider(mp)) // http.route="/games/{id}"
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/games/42", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 42
}

// TrackValue returns the wrapped call's value.
func ExampleTrackValue() {
	kyc, _ := instrument.NewDependency(instrument.KindKYC, "sumsub") // the global MeterProvider
	level, err := instrument.TrackValue(context.Background(), kyc, "verify", func(ctx context.Context) (string, error) {
		return "basic", nil // the vendor SDK call
	})
	fmt.Println(level, err)
	// Output: basic <nil>
}

// A classifier makes HTTP 402 a business decline of the provider.
func ExampleWithClassifier() {
	declines := instrument.WithClassifier(func(resp *http.Response, err error) instrument.Outcome {
		if resp != nil && resp.StatusCode == http.StatusPaymentRequired {
			return instrument.OutcomeDeclined // the PSP worked; the card did not
		}
		return instrument.OutcomeUnset // the default rules
	})
	_, err := instrument.NewDependency(instrument.KindPayment, "adyen", declines)
	fmt.Println(err)
	// Output: <nil>
}
