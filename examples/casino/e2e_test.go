package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// webhookMessage is the part of the Alertmanager webhook v4 body the test
// reads.
type webhookMessage struct {
	Version string `json:"version"`
	Status  string `json:"status"`
	Alerts  []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

type receiver struct {
	mu   sync.Mutex
	msgs []webhookMessage
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m webhookMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	rc.mu.Lock()
	rc.msgs = append(rc.msgs, m)
	rc.mu.Unlock()
}

// find returns the first alert about dependency dep with the given status.
func (rc *receiver) find(dep, status string) (map[string]string, map[string]string, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, m := range rc.msgs {
		for _, a := range m.Alerts {
			if a.Status == status && a.Labels["igmon_dependency_name"]+a.Labels["igmon.dependency.name"] == dep {
				return a.Labels, a.Annotations, true
			}
		}
	}
	return nil, nil, false
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func post(t *testing.T, url, body string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
}

// TestEndToEndProviderOutage drives the demo as a person would: inject a
// payment-provider outage, see the alert fire and reach a webhook with its
// diagnostics, clear the fault, see it resolve.
func TestEndToEndProviderOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end demo test takes a few minutes")
	}
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()

	base := startDemo(t, config{rps: 40, webhookURL: hook.URL, logger: slog.New(slog.DiscardHandler)}).ep.baseURL

	eventually(t, 60*time.Second, "ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	// The dashboard renders from status.json: the groups and providers are there.
	resp, err := http.Get(base + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"Payment providers"`, `"stripe"`, `"pragmatic-play"`, `"sumsub"`, `"wallet-db"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Fatalf("status.json lacks %s:\n%.2000s", want, body)
		}
	}

	// Outage: every call to the PSP fails.
	post(t, base+"/control/faults", `{"provider":"stripe","fault":{"error_rate":1}}`)
	var annotations map[string]string
	eventually(t, 3*time.Minute, "stripe alert firing at the webhook", func() bool {
		var ok bool
		_, annotations, ok = rc.find("stripe", "firing")
		return ok
	})
	if ev := annotations["evidence"]; !strings.Contains(ev, "stripe") {
		t.Errorf("firing alert carries no diagnostics about stripe: %q", ev)
	}
	// The dashboard shows it too.
	resp, err = http.Get(base + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`"firing"`)) {
		t.Errorf("status.json shows no firing alert:\n%.3000s", body)
	}

	// Recovery.
	post(t, base+"/control/faults", `{"reset":true}`)
	eventually(t, 4*time.Minute, "stripe alert resolved at the webhook", func() bool {
		_, _, ok := rc.find("stripe", "resolved")
		return ok
	})
}
