package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

func TestHandlerAlertsAndSilencesAPI(t *testing.T) {
	m := newMeters(t)
	e, err := alerting.NewEvaluator([]alerting.Rule{{Name: "CPU", Labels: map[string]string{"team": "platform"},
		Condition: &alerting.Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}}},
		fakeClock(m.clk), alerting.WithMetricSource(m.reader))
	if err != nil {
		t.Fatal(err)
	}
	m.cpu.Record(context.Background(), 0.97)
	if err := e.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := newDispatcher(t, m.clk)
	sil := d.Silences()
	auth := func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer ops" {
			return errors.New("no")
		}
		return nil
	}
	srv := httptest.NewServer(http.StripPrefix("/alerting", newHandler(t, e, d, WithAuthorizer(auth))))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/alerting/alerts")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Alerts []map[string]any `json:"alerts"`
	}
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if len(got.Alerts) != 1 || got.Alerts[0]["state"] != "firing" || got.Alerts[0]["value"] != 0.97 {
		t.Fatalf("alerts %v", got.Alerts)
	}

	do := func(method, path, body, token string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json") // writes need it; reads ignore it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	good := `{"matchers":["team=\"platform\""],"duration":"2h","createdBy":"ana","comment":"host migration"}`
	if code, _ := do("POST", "/alerting/silences", good, ""); code != http.StatusForbidden {
		t.Errorf("unauthorized POST: %d", code)
	}
	if code, body := do("POST", "/alerting/silences", `{"matchers":["team=\"platform\""],"duration":"2h","createdBy":"ana"}`, "ops"); code != http.StatusBadRequest || !strings.Contains(body["error"].(string), "comment") {
		t.Errorf("missing comment: %d %v", code, body)
	}
	if code, body := do("POST", "/alerting/silences", `{"matchers":["team=~\"(\""],"duration":"2h","createdBy":"ana","comment":"x"}`, "ops"); code != http.StatusBadRequest || !strings.Contains(body["error"].(string), "matchers[0]") {
		t.Errorf("bad matcher: %d %v", code, body)
	}
	code, body := do("POST", "/alerting/silences", good, "ops")
	if code != http.StatusCreated || body["id"] == "" {
		t.Fatalf("POST: %d %v", code, body)
	}
	id := body["id"].(string)
	if !alerthook.Muted(sil, alerting.Labels{"team": "platform"}, m.clk.Now().Add(time.Hour)) {
		t.Error("silence not active")
	}
	if code, _ := do("DELETE", "/alerting/silences/"+id, "", "ops"); code != http.StatusBadRequest {
		t.Errorf("DELETE without by: %d", code)
	}
	if code, _ := do("DELETE", "/alerting/silences/"+id+"?by=bob", "", "ops"); code != http.StatusNoContent {
		t.Errorf("DELETE: %d", code)
	}
	if code, _ := do("DELETE", "/alerting/silences/nope?by=bob", "", "ops"); code != http.StatusNotFound {
		t.Errorf("DELETE unknown: %d", code)
	}
	code, body = do("GET", "/alerting/", "", "ops")
	if code != 200 || len(body["silences"].([]any)) != 1 || len(body["alerts"].([]any)) != 1 {
		t.Errorf("index: %d %v", code, body)
	}
	if s := body["silences"].([]any)[0].(map[string]any); s["expiredBy"] != "bob" || s["createdBy"] != "ana" ||
		s["matchers"].([]any)[0] != `team="platform"` {
		t.Errorf("silence JSON %v", s)
	}
}

func TestHandlerWithoutAuthorizerRefusesWrites(t *testing.T) {
	h := newHandler(t, nil, newDispatcher(t, clock.NewFake(t0)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/silences", strings.NewReader(`{}`)))
	if rec.Code != http.StatusForbidden {
		t.Fatalf("code %d", rec.Code)
	}
}

// Every error names the option; a second authorizer would silently
// replace the first, so it is refused.
func TestNewHandlerRefusesInvalidOptions(t *testing.T) {
	allow := func(*http.Request) error { return nil }
	for _, tt := range []struct {
		name string
		opts []Option
		want string
	}{
		{"twice", []Option{WithAuthorizer(allow), WithAuthorizer(allow)}, "WithAuthorizer given more than once"},
		{"nil function", []Option{WithAuthorizer(nil)}, "WithAuthorizer: nil function"},
		{"nil option", []Option{WithAuthorizer(allow), nil}, "option #1 is nil"},
	} {
		h, err := NewHandler(nil, nil, tt.opts...)
		if h != nil || !errors.Is(err, alerting.ErrInvalidOption) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, %v; want ErrInvalidOption naming %q", tt.name, h, err, tt.want)
		}
	}
}
