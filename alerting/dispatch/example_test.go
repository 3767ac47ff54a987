package dispatch_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// A receiver with its own retry pacing: a slow-to-recover webhook gets
// fewer, longer-spaced attempts.
func ExampleBackoff() {
	r := dispatch.Receiver{
		Name:        "ops-webhook",
		MaxAttempts: 5,
		Backoff:     dispatch.Backoff{Initial: 2 * time.Second, Max: time.Minute, Multiplier: 3},
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
	d, err := dispatch.New(
		alerting.WithResource(map[string]string{"service.name": "casino-api", "deployment.environment.name": "production"}),
		dispatch.WithAlertmanagers(dispatch.Alertmanagers{URLs: []string{peer.URL}, Silences: false}))
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
