//go:build linux

package main

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/browsertest"
)

// historyDoc is what the test reads of history.json.
type historyDoc struct {
	StepSeconds float64   `json:"stepSeconds"`
	Start       time.Time `json:"start"`
	Points      int       `json:"points"`
	Components  []struct {
		ID     string     `json:"id"`
		P95    []*float64 `json:"p95"`
		Status string     `json:"status"`
		Alerts []struct {
			Name string `json:"name"`
		} `json:"alerts"`
	} `json:"components"`
}

func getHistory(t *testing.T, base, rng string) historyDoc {
	t.Helper()
	resp, err := http.Get(base + "/history.json?range=" + rng)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h historyDoc
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

var (
	latencyChartRe = regexp.MustCompile(`(?s)<svg class="chart chart-latency"[^>]*data-y-max="([^"]+)" data-plot-top="([^"]+)" data-plot-bottom="([^"]+)" data-plot-left="([^"]+)" data-plot-width="([^"]+)" data-points="(\d+)" data-start="(\d+)" data-step="(\d+)">(.*?)</svg>`)
	p95LineRe      = regexp.MustCompile(`<path d="([^"]*)" class="line line-p95"`)
	pathPointRe    = regexp.MustCompile(`[ML]([0-9.]+),([0-9.]+)`)
)

// plottedP95 reads a card's latency chart back into p95 values by time
// (unix ms), inverting the chart's scales.
func plottedP95(t *testing.T, body string) map[int64]float64 {
	t.Helper()
	m := latencyChartRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no latency chart on the card:\n%.2000s", body)
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	ymax, top, bottom, left, width, n, start, step := f(m[1]), f(m[2]), f(m[3]), f(m[4]), f(m[5]), f(m[6]), f(m[7]), f(m[8])
	p := p95LineRe.FindStringSubmatch(m[9])
	if p == nil {
		t.Fatal("no p95 line on the chart")
	}
	out := map[int64]float64{}
	for _, pt := range pathPointRe.FindAllStringSubmatch(p[1], -1) {
		i := math.Round((f(pt[1]) - left) / width * (n - 1))
		out[int64(start+i*step)] = (bottom - f(pt[2])) / (bottom - top) * ymax
	}
	return out
}

// TestBrowserChartsShowTheStripeFault injects the stripe fault and checks
// in Chromium that the stripe card's latency chart plots history.json's
// points, that the alert is shaded on it and linked to the card, and that
// the uptime bar shows the failure. With IGMON_UPDATE_SCREENSHOT=1 it
// writes the page as docs/dashboard.png for the README.
func TestBrowserChartsShowTheStripeFault(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the demo through the stripe fault: about a minute")
	}
	browsertest.Require(t)
	base := startDemo(t, config{rps: 40, evalInterval: 5 * time.Second, groupWait: time.Second,
		logger: slog.New(slog.DiscardHandler)}).ep.baseURL
	within(t, base, time.Now(), time.Minute, "stripe passes with traffic", func(s pageStatus) bool {
		st, _, p95 := s.component("payment-stripe")
		return st == "pass" && !math.IsNaN(p95)
	})
	// Some healthy history first, then the fault.
	points := func(letter byte) int {
		n := 0
		for _, c := range getHistory(t, base, "15m").Components {
			if c.ID == "payment-stripe" {
				n = strings.Count(c.Status, string(letter))
			}
		}
		return n
	}
	waitPoints := func(letter byte, n int) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for points(letter) < n {
			if time.Now().After(deadline) {
				t.Fatalf("history.json did not reach %d %c points of stripe", n, letter)
			}
			time.Sleep(time.Second)
		}
	}
	waitPoints('p', 6)
	post(t, base+"/control/faults", `{"provider":"stripe","fault":{"error_rate":0.6,"latency_ms":300}}`)
	at := time.Now()
	within(t, base, at, 60*time.Second, "an alert about stripe fires", func(s pageStatus) bool {
		for _, a := range s.Alerts {
			if a.State == "firing" && a.Labels["igmon.dependency.name"] == "stripe" {
				return true
			}
		}
		return false
	})
	waitPoints('f', 8)
	hist := getHistory(t, base, "15m")
	dom := string(browsertest.Page(t, "--virtual-time-budget=3000", "--dump-dom", base+"/?transport=poll&range=15m"))
	var stripe card
	for _, m := range cardRe.FindAllStringSubmatch(dom, -1) {
		if m[1] == "payment-stripe" {
			stripe = card{status: m[2], body: m[3]}
		}
	}
	if stripe.status != "fail" {
		t.Fatalf("the stripe card is %q", stripe.status)
	}
	got := plottedP95(t, stripe.body)
	compared := 0
	for _, c := range hist.Components {
		if c.ID != "payment-stripe" {
			continue
		}
		for i, v := range c.P95 {
			at := hist.Start.Add(time.Duration(float64(i)*hist.StepSeconds) * time.Second).UnixMilli()
			p, plotted := got[at]
			// The newest steps may have been refreshed between the two
			// reads; older ones are final.
			if i >= len(c.P95)-3 || v == nil {
				continue
			}
			if !plotted {
				t.Errorf("history.json has p95 %v at %v, the chart nothing", *v, time.UnixMilli(at))
				continue
			}
			ymax, _ := strconv.ParseFloat(latencyChartRe.FindStringSubmatch(stripe.body)[1], 64)
			if math.Abs(p-*v) > ymax/500 {
				t.Errorf("at %v the chart plots %v s, history.json says %v s", time.UnixMilli(at), p, *v)
			}
			compared++
		}
		if !strings.Contains(c.Status, "f") || len(c.Alerts) == 0 {
			t.Errorf("history.json of stripe: status %q, alerts %v: want the failure and its alert", c.Status, c.Alerts)
		}
	}
	if compared < 3 {
		t.Fatalf("compared %d points of stripe's chart with history.json", compared)
	}
	for _, want := range []string{`class="alert-shade`, `class="seg seg-fail"`, `latency (ms, s)`} {
		if !strings.Contains(stripe.body, want) {
			t.Errorf("the stripe card lacks %s", want)
		}
	}
	if !strings.Contains(dom, `href="#c-payment-stripe"`) || !strings.Contains(stripe.body, `class="alert-link`) {
		t.Error("the alert and the stripe card are not linked both ways")
	}
	t.Logf("compared %d plotted points of stripe's p95 with history.json", compared)

	if os.Getenv("IGMON_UPDATE_SCREENSHOT") == "1" {
		out, err := filepath.Abs(filepath.Join("..", "..", "docs", "dashboard.png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		browsertest.Page(t, "--virtual-time-budget=3000", "--hide-scrollbars", "--window-size=1400,1900",
			"--screenshot="+out, base+"/?transport=poll&range=15m")
		t.Logf("wrote %s", out)
	}
}
