//go:build linux

package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// historySource serves n components and a synthetic history whose values
// depend on the range, so a page that ignored the range would show the
// wrong numbers.
type historySource struct {
	n   int
	end time.Time
}

func (s *historySource) Snapshot(ctx context.Context, detailed bool) (Snapshot, error) {
	g := Group{Name: GroupAPI}
	for i := range s.n {
		st := StatusPass
		if i == 0 {
			st = StatusFail
		}
		g.Components = append(g.Components, Component{ID: fmt.Sprintf("route-%03d", i),
			Name: fmt.Sprintf("POST /api/players/{player_id}/wallet/deposits/%03d", i),
			Kind: "route", Status: st, P50: 0.02, P95: 0.2, ErrorRate: 0.01, RequestRate: 12, UptimePct: 99, Volume: 360})
	}
	return Snapshot{Service: ServiceInfo{Name: "casino"}, Generated: s.end, Window: 30 * time.Second,
		Groups: []Group{g},
		Alerts: []Alert{{Name: "RouteErrors", State: AlertFiring, Severity: "page", Since: s.end.Add(-4 * time.Minute),
			Components: []string{"route-000"}}}}, nil
}

func (s *historySource) History(ctx context.Context, span time.Duration) (History, error) {
	step := 5 * time.Second
	if span > 15*time.Minute {
		step = time.Minute
	}
	points := int(span / step)
	h := History{Range: span, Step: step, Window: step, Points: points, Start: s.end.Add(-time.Duration(points-1) * step),
		Ranges: []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}}
	scale := span.Minutes() / 15 // 1 for 15m, 4 for 1h
	for c := range s.n {
		ch := ComponentHistory{ID: fmt.Sprintf("route-%03d", c), UptimePct: map[string]float64{"24h": 99.5}}
		for i := range points {
			ph := float64(i+c) / 9
			ch.P50 = append(ch.P50, 0.01*scale*(1.5+math.Sin(ph)))
			ch.P95 = append(ch.P95, 0.04*scale*(2+math.Sin(ph)))
			ch.ErrorRate = append(ch.ErrorRate, 0.02*(1+math.Cos(ph)))
			ch.RequestRate = append(ch.RequestRate, 10*scale+float64(i%7))
			ch.Status = append(ch.Status, StatusPass)
		}
		if c == 0 {
			ch.P95[points/2] = math.NaN() // a gap
			ch.Alerts = []AlertSpan{{Name: "RouteErrors", Severity: "page", From: s.end.Add(-4 * time.Minute)}}
		}
		for i := 0; i < points; i += max(1, points/60) {
			ch.Uptime = append(ch.Uptime, UptimeSegment{From: h.Start.Add(time.Duration(i) * step),
				To: h.Start.Add(time.Duration(i+max(1, points/60)) * step), Status: StatusPass})
		}
		h.Components = append(h.Components, ch)
	}
	return h, nil
}

var (
	chartRe = regexp.MustCompile(`(?s)<svg class="chart chart-latency"[^>]*data-y-max="([^"]+)" data-plot-top="([^"]+)" data-plot-bottom="([^"]+)" data-plot-left="([^"]+)" data-plot-width="([^"]+)" data-points="(\d+)"[^>]*>(.*?)</svg>`)
	p95Re   = regexp.MustCompile(`<path d="([^"]*)" class="line line-p95" data-series="p95">`)
	pointRe = regexp.MustCompile(`([ML])([0-9.]+),([0-9.]+)`)
)

// plotted reads the first latency chart's p95 line back into values: the
// inverse of the chart's scales, so it checks what is drawn, not a copy.
func plotted(t *testing.T, dom string) (values []float64, n int, body string) {
	t.Helper()
	m := chartRe.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no latency chart in the page")
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	ymax, top, bottom, left, width := f(m[1]), f(m[2]), f(m[3]), f(m[4]), f(m[5])
	n, _ = strconv.Atoi(m[6])
	p := p95Re.FindStringSubmatch(m[7])
	if p == nil {
		t.Fatalf("no p95 line in the chart: %s", m[7])
	}
	values = make([]float64, n)
	for i := range values {
		values[i] = math.NaN()
	}
	for _, pt := range pointRe.FindAllStringSubmatch(p[1], -1) {
		x, y := f(pt[2]), f(pt[3])
		i := int(math.Round((x - left) / width * float64(n-1)))
		values[i] = (bottom - y) / (bottom - top) * ymax
	}
	return values, n, m[7]
}

func TestBrowserChartsPlotTheHistory(t *testing.T) {
	requireChromium(t)
	src := &historySource{n: 3, end: time.Now().Truncate(time.Second)}
	h := mustNew(t, src, WithTitle("Casino platform"))
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	var first []float64
	for _, rng := range []string{"15m", "1h"} {
		dom := string(chromium(t, "--dump-dom", srv.URL+"/?transport=poll&range="+rng))
		if !strings.Contains(dom, `data-history-range="`+rng+`"`) {
			t.Fatalf("%s: the page did not load its history", rng)
		}
		span, _ := time.ParseDuration(strings.TrimSuffix(rng, "m") + "m")
		if rng == "1h" {
			span = time.Hour
		}
		want, err := src.History(context.Background(), span)
		if err != nil {
			t.Fatal(err)
		}
		got, n, body := plotted(t, dom)
		if n != want.Points {
			t.Fatalf("%s: the chart has %d points, history %d", rng, n, want.Points)
		}
		for i, w := range want.Components[0].P95 {
			if math.IsNaN(w) != math.IsNaN(got[i]) || (!math.IsNaN(w) && math.Abs(got[i]-w) > 0.005*want.Components[0].P95[0]*4) {
				t.Fatalf("%s: point %d plotted %v, history.json %v", rng, i, got[i], w)
			}
		}
		// Axes with units, gridlines, the alert's span, the uptime bar.
		for _, want := range []string{`class="axis y-axis"`, `class="grid"`, ` ms</text>`, `latency (ms, s)`, `class="alert-shade sev-page"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the latency chart lacks %s", rng, want)
			}
		}
		for _, want := range []string{`requests per second (/s)`, `error rate (%)`, `class="uptime-bar"`, `uptime 24h 99.50%`,
			`aria-pressed="true" data-range="` + rng + `"`, `href="#c-route-000"`, `alert RouteErrors firing (page)`,
			`title="POST /api/players/{player_id}/wallet/deposits/000"`} {
			if !strings.Contains(dom, want) {
				t.Errorf("%s: the page lacks %s", rng, want)
			}
		}
		if first == nil {
			first = got
		} else if fmt.Sprint(first[:10]) == fmt.Sprint(got[:10]) {
			t.Errorf("changing the range did not change the plotted data")
		}
	}
}

// TestBrowserRendersManyComponents reports how long Chromium takes to
// render 200 components with their charts, from its performance trace:
// the longest script task on the page's main thread (the render that
// builds the 600 charts once history.json arrives) and the style and
// layout work. The target is under 200 ms of scripting; it is reported,
// not asserted, because a shared machine's timing proves nothing.
func TestBrowserRendersManyComponents(t *testing.T) {
	requireChromium(t)
	src := &historySource{n: 200, end: time.Now().Truncate(time.Second)}
	h := mustNew(t, src)
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	trace := filepath.Join(t.TempDir(), "trace.json")
	dom := string(chromium(t, "--dump-dom", "--virtual-time-budget=3000",
		"--trace-startup=devtools.timeline,v8.execute,toplevel", "--trace-startup-format=json",
		"--trace-startup-file="+trace, "--trace-startup-duration=10",
		srv.URL+"/?transport=poll&range=15m"))
	// Charts are built for the cards near the viewport, the rest when
	// they scroll into view.
	if got := strings.Count(dom, `class="chart chart-latency"`); got == 0 || !strings.Contains(dom, `data-component-id="route-199"`) {
		t.Fatalf("%d latency charts, or the last card missing", got)
	}
	r, err := readTrace(trace)
	if err != nil {
		t.Fatalf("performance trace: %v", err)
	}
	t.Logf("200 components (charts of 180 points built for the %d cards near the viewport): longest script task %.1f ms "+
		"(target < 200 ms), scripting %.1f ms in all, style and layout %.1f ms",
		strings.Count(dom, `class="chart chart-latency"`), r.longestScript, r.scripting, r.layout)
}

type traceFigures struct{ longestScript, scripting, layout float64 }

// readTrace sums the page's main-thread work in a Chromium JSON trace.
func readTrace(name string) (traceFigures, error) {
	var f traceFigures
	b, err := os.ReadFile(name)
	if err != nil {
		return f, err
	}
	var tr struct {
		TraceEvents []struct {
			Name string          `json:"name"`
			Ph   string          `json:"ph"`
			Dur  float64         `json:"dur"`
			Pid  int             `json:"pid"`
			Tid  int             `json:"tid"`
			Args json.RawMessage `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		return f, err
	}
	pid, tid := -1, -1
	for _, e := range tr.TraceEvents {
		if e.Name == "EvaluateScript" && strings.Contains(string(e.Args), "assets/app.js") {
			pid, tid = e.Pid, e.Tid
		}
	}
	if pid < 0 {
		return f, errors.New("the trace has no evaluation of app.js")
	}
	for _, e := range tr.TraceEvents {
		if e.Pid != pid || e.Tid != tid || e.Ph != "X" {
			continue
		}
		ms := e.Dur / 1000
		switch e.Name {
		case "EvaluateScript", "FunctionCall", "RunMicrotasks", "TimerFire":
			f.scripting += ms
			f.longestScript = max(f.longestScript, ms)
		case "UpdateLayoutTree", "Layout":
			f.layout += ms
		}
	}
	return f, nil
}

// TestBrowserFallsBackFromAnUnofferedRange: a URL asking for 7d of a
// server without durable history shows the default range instead of
// nothing.
func TestBrowserFallsBackFromAnUnofferedRange(t *testing.T) {
	requireChromium(t)
	h := mustNew(t, &secretHistory{*newPlatformSource()})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	dom := string(chromium(t, "--dump-dom", srv.URL+"/?transport=poll&range=7d"))
	if !strings.Contains(dom, `data-history-range="15m"`) || !strings.Contains(dom, `aria-pressed="true" data-range="15m"`) {
		t.Fatalf("the page did not fall back to 15m:\n%.3000s", dom)
	}
}
