package alerting_test

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
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

	d, _ := dispatch.New(fakeClock(clk),
		dispatch.WithReceiver(dispatch.Receiver{Name: "oncall", Notifier: dispatch.NotifierFunc(
			func(_ context.Context, n *dispatch.Notification) error {
				fmt.Println("notify", n.Receiver, n.Status, n.Alerts[0].Annotations["summary"])
				return nil
			})}),
		dispatch.WithRoute(dispatch.Route{Receivers: []string{"oncall"}, GroupBy: []string{"team"}, GroupWait: 30 * time.Second}))
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

// fakeClock makes the examples' output deterministic. A program leaves
// the clock alone: the real one is the default.
func fakeClock(c clock.Clock) alerting.SharedOption {
	return alerthook.WithClock(c).(alerting.SharedOption)
}
