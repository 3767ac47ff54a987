package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/failover"
)

// depositLine matches the deposit route's request counts in /metrics, by
// response status.
var depositLine = regexp.MustCompile(`(?m)^http_server_request_duration_seconds_count\{(.*)\} (\S+)$`)
var statusLabel = regexp.MustCompile(`http_response_status_code="(\d+)"`)

// deposits reads from the demo's own /metrics how many deposits its
// traffic made so far and how many of them succeeded (HTTP 200).
func deposits(t *testing.T, base string) (ok, all float64) {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range depositLine.FindAllStringSubmatch(string(body), -1) {
		if !regexp.MustCompile(`http_route="/api/players/\{player\}/deposit"`).MatchString(m[1]) {
			continue
		}
		n, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("count %q: %v", m[2], err)
		}
		all += n
		if s := statusLabel.FindStringSubmatch(m[1]); s != nil && s[1] == "200" {
			ok += n
		}
	}
	return ok, all
}

// serving returns the provider the deposits group sends calls to, from
// status.json ("" without the group).
func serving(t *testing.T, base string) failover.Status {
	t.Helper()
	resp, err := http.Get(base + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		Failover []failover.Status `json:"failover"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	for _, g := range s.Failover {
		if g.Group == "deposits" {
			return g
		}
	}
	return failover.Status{}
}

// successDuring returns the share of the next n deposits of the demo's
// traffic that succeeded.
func successDuring(t *testing.T, base string, n float64) float64 {
	t.Helper()
	ok0, all0 := deposits(t, base)
	var ok, all float64
	eventually(t, 3*time.Minute, "deposits flow", func() bool {
		ok, all = deposits(t, base)
		return all-all0 >= n
	})
	return (ok - ok0) / (all - all0)
}

// TestStripeOutageWithAndWithoutFailover measures, from the demo's own
// traffic, the deposit success rate during a full stripe outage (error
// rate 1.0) with deposits failing over to adyen and without.
func TestStripeOutageWithAndWithoutFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo twice through a provider outage")
	}
	const rps = 50 // about 10 deposits a second
	var with, without float64
	t.Run("failover", func(t *testing.T) {
		base := startDemo(t, config{rps: rps, logger: slog.New(slog.DiscardHandler)}).ep.baseURL
		eventually(t, time.Minute, "deposits flow through stripe", func() bool {
			_, all := deposits(t, base)
			return all >= 50 && serving(t, base).Serving == "stripe"
		})
		at := time.Now()
		post(t, base+"/control/faults", `{"provider":"stripe","fault":{"error_rate":1}}`)
		eventually(t, 10*time.Second, "deposits go to adyen", func() bool { return serving(t, base).Serving == "adyen" })
		t.Logf("deposits moved to adyen %v after the fault: %s", time.Since(at).Round(100*time.Millisecond), serving(t, base).Reason)
		with = successDuring(t, base, 300)
		t.Logf("deposit success with failover during the outage: %.2f %% of 300", 100*with)
		if with < 0.99 {
			t.Errorf("deposit success %.2f %%, want at least 99 %%", 100*with)
		}
		// Stripe's error-rate alert loses its calls to the failover; the
		// page still says stripe is broken: it is bypassed.
		eventually(t, time.Minute, "ProviderBypassed fires for stripe", func() bool {
			for _, a := range getStatus(t, base).Alerts {
				if a.Name == "ProviderBypassed" && a.State == "firing" && a.Labels["igmon.failover.provider"] == "stripe" {
					// The gauge's value (2 open, 1 half-open) is said in words.
					if sum := a.Annotations["summary"]; !strings.Contains(sum, "breaker is open") && !strings.Contains(sum, "breaker is half-open") {
						t.Errorf("ProviderBypassed summary %q does not say the breaker state", sum)
					}
					return true
				}
			}
			return false
		})
		reset := time.Now()
		post(t, base+"/control/faults", `{"reset":true}`)
		eventually(t, 60*time.Second, "deposits back on stripe", func() bool { return serving(t, base).Serving == "stripe" })
		t.Logf("deposits back on stripe %v after the reset", time.Since(reset).Round(100*time.Millisecond))
	})
	t.Run("no failover", func(t *testing.T) {
		base := startDemo(t, config{rps: rps, noFailover: true, logger: slog.New(slog.DiscardHandler)}).ep.baseURL
		eventually(t, time.Minute, "deposits flow", func() bool {
			_, all := deposits(t, base)
			return all >= 50
		})
		if g := serving(t, base); g.Group != "" {
			t.Fatalf("-failover=false still shows a group: %+v", g)
		}
		post(t, base+"/control/faults", `{"provider":"stripe","fault":{"error_rate":1}}`)
		without = successDuring(t, base, 100)
		t.Logf("deposit success without failover during the outage: %.2f %% of 100", 100*without)
		if without > 0.05 {
			t.Errorf("deposit success without failover %.2f %%: the outage did not reach deposits", 100*without)
		}
	})
	t.Logf("deposit success during a full stripe outage: %.2f %% with failover, %.2f %% without", 100*with, 100*without)
}

// TestFailoverFlag: deposits fail over by default; -failover=false turns
// it off.
func TestFailoverFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		off  bool
	}{{nil, false}, {[]string{"-failover=false"}, true}, {[]string{"-failover"}, false}} {
		cfg, err := parseFlags(tt.args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.noFailover != tt.off {
			t.Errorf("parseFlags(%q): failover off %v, want %v", tt.args, cfg.noFailover, tt.off)
		}
	}
}
