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
