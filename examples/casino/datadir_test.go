package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
)

// TestDataDirKeepsSilenceAcrossRestart: a silence made through the
// Alertmanager API of a demo started with -data-dir is still there after
// the demo stops and starts again on the same directory, and still mutes
// the alert it matches.
func TestDataDirKeepsSilenceAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo twice")
	}
	cfg, err := parseFlags([]string{"-data-dir", t.TempDir(), "-token", "ops-token", "-rps", "0", "-db-down"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One rule that fires on the first evaluation with the database down.
	cfg.rules = []alerting.Rule{{Name: "WalletDBDown", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}}}}

	d := startDemo(t, cfg)
	silences := d.ep.baseURL + alertsPrefix + "/api/v2/silences"
	body := fmt.Sprintf(`{"matchers":[{"name":"igmon.check.name","value":"wallet-db","isRegex":false,"isEqual":true}],
		"startsAt":%q,"endsAt":%q,"createdBy":"ops","comment":"database migration"}`,
		time.Now().UTC().Format(time.RFC3339), time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339))
	code, resp := httpDo(t, http.MethodPost, silences, "ops-token", body)
	var created struct {
		SilenceID string `json:"silenceID"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(resp), &created) != nil || created.SilenceID == "" {
		t.Fatalf("POST silence: %d %s", code, resp)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}

	d = startDemo(t, cfg)
	code, resp = httpDo(t, http.MethodGet, d.ep.baseURL+alertsPrefix+"/api/v2/silences", "ops-token", "")
	if code != http.StatusOK || !strings.Contains(resp, created.SilenceID) || !strings.Contains(resp, `"active"`) {
		t.Fatalf("silences after the restart: %d %s", code, resp)
	}
	// The alert fires again, suppressed by the same silence.
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, resp = httpDo(t, http.MethodGet, d.ep.baseURL+alertsPrefix+"/api/v2/alerts", "ops-token", "")
		var alerts []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				State      string   `json:"state"`
				SilencedBy []string `json:"silencedBy"`
			} `json:"status"`
		}
		if code != http.StatusOK || json.Unmarshal([]byte(resp), &alerts) != nil {
			t.Fatalf("GET alerts: %d %s", code, resp)
		}
		for _, a := range alerts {
			if a.Labels["alertname"] == "WalletDBDown" && a.Status.State == "suppressed" &&
				slices.Contains(a.Status.SilencedBy, created.SilenceID) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("WalletDBDown never suppressed by %s after the restart: %s", created.SilenceID, resp)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
