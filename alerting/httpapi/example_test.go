package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/httpapi"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Alertmanager's API v2 on the alerts handler: what `amtool
// --alertmanager.url` and Grafana's Alertmanager data source call. Pending alerts are not
// listed (an Alertmanager only ever receives firing ones); a silence
// posted in Alertmanager's JSON turns the matching alert "suppressed".
func ExampleNewHandler() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	cpu, _ := mp.Meter("igmon").Float64Gauge("system.cpu.utilization")

	d, _ := dispatch.New(fakeClock(clk), dispatch.WithReceiver(dispatch.Receiver{Name: "oncall",
		Notifier: dispatch.NotifierFunc(func(context.Context, *dispatch.Notification) error { return nil })}))
	defer d.Close()
	sel, _ := alerting.ParseSelector("system.cpu.utilization")
	ev, _ := alerting.NewEvaluator([]alerting.Rule{{Name: "CPUHigh", Labels: map[string]string{"team": "platform"},
		Condition: &alerting.Threshold{Metric: sel, Value: 0.9}}},
		fakeClock(clk), alerting.WithMetricSource(reader), alerting.WithSink(d))
	cpu.Record(ctx, 0.97)
	_ = ev.Evaluate(ctx)

	h, err := httpapi.NewHandler(ev, d, httpapi.WithAuthorizer(func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer ops-token" {
			return errors.New("unknown caller")
		}
		return nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/alertmanager/", http.StripPrefix("/alertmanager", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	am := srv.URL + "/alertmanager" // amtool --alertmanager.url=<this>

	showAlerts := func() {
		resp, err := http.Get(am + "/api/v2/alerts")
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		var alerts []struct {
			Labels    map[string]string `json:"labels"`
			Receivers []struct{ Name string }
			Status    struct {
				State      string   `json:"state"`
				SilencedBy []string `json:"silencedBy"`
			} `json:"status"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&alerts)
		for _, a := range alerts {
			fmt.Println(a.Labels["alertname"], a.Receivers[0].Name, a.Status.State, len(a.Status.SilencedBy))
		}
	}
	showAlerts()

	silence := `{"matchers": [{"name": "team", "value": "platform", "isRegex": false, "isEqual": true}],
		"startsAt": "2026-03-02T10:00:00Z", "endsAt": "2026-03-02T12:00:00Z",
		"createdBy": "ana", "comment": "host migration"}`
	req, _ := http.NewRequest("POST", am+"/api/v2/silences", strings.NewReader(silence))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer ops-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("POST /api/v2/silences", resp.StatusCode)
	showAlerts()
	// Output:
	// CPUHigh oncall active 0
	// POST /api/v2/silences 200
	// CPUHigh oncall suppressed 1
}

// fakeClock makes the example's output deterministic. A program leaves
// the clock alone: the real one is the default.
func fakeClock(c clock.Clock) alerting.SharedOption {
	return alerthook.WithClock(c).(alerting.SharedOption)
}
