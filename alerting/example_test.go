package alerting_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

// A dependency error-rate rule over igmon.dependency.calls, evaluated from
// an in-process ManualReader, notifying through the pipeline.
func Example() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	calls, _ := mp.Meter("igmon").Int64Counter("igmon.dependency.calls")

	num, _ := alerting.ParseSelector(`igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout"}`)
	den, _ := alerting.ParseSelector(`igmon.dependency.calls`)
	rules := []alerting.Rule{{
		Name:        "DependencyErrorRate",
		By:          []string{"igmon.dependency.name"},
		Labels:      map[string]string{"severity": "page", "team": "payments"},
		Annotations: map[string]string{"summary": `{{ index .Labels "igmon.dependency.name" }}: {{ percent .Value }} errors`},
		Condition:   &alerting.Ratio{Numerator: num, Denominator: den, Window: 5 * time.Minute, MinRequests: 10, Value: 0.05},
	}}

	d, _ := alerting.NewDispatcher(fakeClock(clk),
		alerting.WithReceiver(alerting.Receiver{Name: "oncall", Notifier: alerting.NotifierFunc(
			func(_ context.Context, n *alerting.Notification) error {
				fmt.Println("notify", n.Receiver, n.Status, n.Alerts[0].Annotations["summary"])
				return nil
			})}),
		alerting.WithRoute(alerting.Route{Receivers: []string{"oncall"}, GroupBy: []string{"team"}, GroupWait: 30 * time.Second}))
	defer d.Close()
	ev, _ := alerting.NewEvaluator(rules, fakeClock(clk), alerting.WithMetricSource(reader), alerting.WithSink(d))

	_ = ev.Evaluate(ctx) // first cycle: baseline
	stripe := func(outcome string) metric.AddOption {
		return metric.WithAttributes(attribute.String("igmon.dependency.name", "stripe"), attribute.String("igmon.dependency.outcome", outcome))
	}
	calls.Add(ctx, 90, stripe("success"))
	calls.Add(ctx, 10, stripe("timeout"))
	clk.Advance(15 * time.Second)
	_ = ev.Evaluate(ctx)
	for _, a := range ev.Alerts() {
		fmt.Println(a.Rule, a.State, a.Labels["igmon.dependency.name"])
	}
	clk.Advance(30 * time.Second) // group_wait
	alerthook.Tick(d)             // what Start does every tick interval
	_ = d.Flush(ctx)
	// Output:
	// DependencyErrorRate firing stripe
	// notify oncall firing stripe: 10.00% errors
}

// A receiver with its own retry pacing: a slow-to-recover webhook gets
// fewer, longer-spaced attempts.
func ExampleBackoff() {
	r := alerting.Receiver{
		Name:        "ops-webhook",
		MaxAttempts: 5,
		Backoff:     alerting.Backoff{Initial: 2 * time.Second, Max: time.Minute, Multiplier: 3},
	}
	fmt.Println(r.Backoff.Ceiling(0), r.Backoff.Ceiling(1), r.Backoff.Ceiling(4))
	// Output: 2s 6s 1m0s
}

// Fleet mode: every replica forwards its alerts to each Alertmanager peer,
// labelled with the service's identity and the Prometheus spelling of the
// exported rules, so the cluster dedups the replicas' identical alerts.
// (The server here stands in for one peer and prints what it receives.)
func ExampleWithAlertmanagers() {
	got := make(chan alerting.Labels, 1)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []struct{ Labels alerting.Labels }
		_ = json.NewDecoder(r.Body).Decode(&body)
		select {
		case got <- body[0].Labels:
		default:
		}
	}))
	defer peer.Close()
	d, err := alerting.NewDispatcher(
		alerting.WithResource(map[string]string{"service.name": "casino-api", "deployment.environment.name": "production"}),
		alerting.WithAlertmanagers(alerting.Alertmanagers{URLs: []string{peer.URL}, Silences: false}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	l := alerting.Labels{alerting.LabelAlertName: "DependencyErrorRate", "igmon.dependency.name": "stripe"}
	d.Receive([]alerting.Alert{{Rule: "DependencyErrorRate", Labels: l, Fingerprint: l.Fingerprint(),
		State: alerting.StateFiring, FiredAt: time.Now()}})
	fmt.Println(<-got)
	// Output:
	// {alertname="DependencyErrorRate", environment="production", igmon_dependency_name="stripe", service="casino-api"}
}

// fakeClock makes the examples' output deterministic. A program leaves
// the clock alone: the real one is the default.
func fakeClock(c clock.Clock) alerting.SharedOption {
	return alerthook.WithClock(c).(alerting.SharedOption)
}
