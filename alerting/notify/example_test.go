package notify_test

import (
	"fmt"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/notify"
)

// PagerDuty as the primary receiver with Telegram as the fallback when
// PagerDuty fails for good.
func ExampleNewPagerDuty() {
	pd, err := notify.NewPagerDuty(notify.PagerDutyConfig{RoutingKey: "0123456789abcdef0123456789abcdef", Source: "casino-api"})
	if err != nil {
		panic(err)
	}
	tg, err := notify.NewTelegram(notify.TelegramConfig{Token: "123:abc", ChatID: "-100123"})
	if err != nil {
		panic(err)
	}
	d, err := dispatch.New(
		dispatch.WithReceiver(dispatch.Receiver{Name: "pagerduty", Notifier: pd, Fallback: tg, Timeout: 10 * time.Second}),
		dispatch.WithRoute(dispatch.Route{Receivers: []string{"pagerduty"}, GroupBy: []string{"igmon.dependency.name"}}))
	if err != nil {
		panic(err)
	}
	defer d.Close()

	// The dedup key depends only on the alert's labels: every replica and
	// every restart pages the same incident.
	a := alerting.Alert{Labels: alerting.Labels{"alertname": "DependencyErrorRate", "igmon.dependency.name": "stripe"}}
	fmt.Println("igmon-" + a.Labels.Fingerprint()) // the PagerDuty dedup key
	// Output: igmon-3e67650eeb5b8bc2
}
