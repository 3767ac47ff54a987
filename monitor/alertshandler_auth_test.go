package monitor

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
)

// The evidence the Monitor adds to firing alerts quotes check errors. The
// alerts API shows it to callers the Monitor's authorizer admits and to
// no one else, on every route that lists alerts, the Alertmanager alert
// groups included (they read the dispatcher's copy, which carries it).
func TestAlertsHandlerShowsEvidenceOnlyToAuthorizedCallers(t *testing.T) {
	const checkError = "connection refused by 10.0.0.5:5432"
	fc := clock.NewFake(alT0)
	m, err := New(quiet, WithRegistryOptions(checkstest.WithClock(fc)),
		WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ops" }),
		WithAlerting([]alerting.Rule{{Name: "WalletDBDown", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}}}},
			alertClock(fc),
			dispatch.WithReceiver(dispatch.Receiver{Name: "oncall",
				Notifier: dispatch.NotifierFunc(func(context.Context, *dispatch.Notification) error { return nil })}),
			dispatch.WithRoute(dispatch.Route{Receivers: []string{"oncall"}, GroupBy: []string{alerting.LabelAlertName}})))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	if err := m.Checks().Register("wallet-db", func(context.Context) error { return errors.New(checkError) }); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/alerting", m.AlertsHandler()))
	defer srv.Close()
	get := func(path string, authorized bool) string {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+"/alerting"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if authorized {
			req.Header.Set("Authorization", "Bearer ops")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v %s", path, resp.StatusCode, err, b)
		}
		return string(b)
	}
	// The dispatcher's group holds the alert with its evidence: the
	// authorized view proves the anonymous one had something to withhold.
	if full := get("/api/v2/alerts/groups", true); !strings.Contains(full, checkError) || !strings.Contains(full, `"`+annotationEvidence+`"`) {
		t.Fatalf("authorized alert groups lack the evidence: %s", full)
	}
	for _, path := range []string{"/", "/alerts", "/api/v2/alerts", "/api/v2/alerts/groups"} {
		pub := get(path, false)
		if !strings.Contains(pub, "WalletDBDown") {
			t.Errorf("anonymous %s lacks the alert: %s", path, pub)
		}
		if strings.Contains(pub, checkError) || strings.Contains(pub, `"`+annotationEvidence+`"`) {
			t.Errorf("anonymous %s shows the evidence: %s", path, pub)
		}
	}
}
