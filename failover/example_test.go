package failover_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackcode/igmon/failover"
)

// A deposit goes to stripe while its breaker is closed and to adyen while
// it is open. With igmon, monitor.Monitor.Failover builds the group over
// the dependencies, with their health, declines, metrics and events.
func Example() {
	errDeclined := errors.New("card declined")
	g, err := failover.New("deposits", []failover.Provider{
		{Name: "stripe", Failure: func(err error) bool { return !errors.Is(err, errDeclined) }},
		{Name: "adyen"},
	})
	if err != nil {
		panic(err)
	}
	stripeDown := true
	for i := range 7 {
		_ = g.Do(context.Background(), func(ctx context.Context, provider string) error {
			fmt.Println(i, provider)
			if provider == "stripe" && stripeDown {
				return errors.New("HTTP 503")
			}
			return nil
		})
	}
	st := g.Status()
	fmt.Println("serving:", st.Serving, "because", st.Reason)
	// Output:
	// 0 stripe
	// 1 stripe
	// 2 stripe
	// 3 stripe
	// 4 stripe
	// 5 adyen
	// 6 adyen
	// serving: adyen because stripe breaker open (5 consecutive failures)
}
