package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/monitor"
)

// Deposits go to stripe, and to adyen while stripe's breaker is open. A
// declined card is a business outcome: it never moves traffic.
func ExampleMonitor_Failover() {
	m, err := monitor.New(monitor.WithServiceName("wallet"), monitor.WithoutSystemMetrics(),
		monitor.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	stripe, _ := m.Dependency(instrument.KindPayment, "stripe")
	adyen, _ := m.Dependency(instrument.KindPayment, "adyen")
	deposits, err := m.Failover("deposits", []*instrument.Dependency{stripe, adyen})
	if err != nil {
		log.Fatal(err)
	}
	deps := map[string]*instrument.Dependency{"stripe": stripe, "adyen": adyen}
	charge := func(stripeErr error) string {
		var used string
		_ = deposits.Do(context.Background(), func(ctx context.Context, provider string) error {
			used = provider
			return deps[provider].Track(ctx, "deposit", func(context.Context) error {
				if provider == "stripe" {
					return stripeErr
				}
				return nil
			})
		})
		return used
	}
	for range 10 {
		charge(instrument.Declined(errors.New("card declined")))
	}
	fmt.Println("after 10 declines:", charge(nil))
	for range 5 {
		charge(errors.New("HTTP 503"))
	}
	fmt.Println("after 5 errors:", charge(nil))
	fmt.Println(deposits.Status().Reason)
	// Output:
	// after 10 declines: stripe
	// after 5 errors: adyen
	// stripe breaker open (5 consecutive failures)
}
