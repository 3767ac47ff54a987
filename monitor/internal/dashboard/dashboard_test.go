package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

func TestNewRejectsBadOptions(t *testing.T) {
	src := newPlatformSource()
	tests := []struct {
		name string
		src  Source
		opt  Option
		want string
	}{
		{"nil source", nil, nil, "source"},
		{"nil option", src, nil, "(nil)"},
		{"refresh too fast", src, WithRefresh(time.Millisecond), "WithRefresh"},
		{"refresh too slow", src, WithRefresh(time.Hour), "WithRefresh"},
		{"empty title", src, WithTitle(""), "WithTitle"},
		{"nil authorizer", src, WithAuthorizer(nil), "WithAuthorizer"},
		{"nil actions", src, WithActions(nil), "WithActions"},
		{"nil logger", src, WithLogger(nil), "WithLogger"},
		{"zero timeout", src, WithSnapshotTimeout(0), "WithSnapshotTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.name != "nil source" {
				opts = append(opts, tt.opt)
			}
			h, err := New(tt.src, opts...)
			if err == nil {
				h.Close()
				t.Fatal("New accepted an invalid option")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func decodeMap(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("status.json is not JSON: %v\n%s", err, body)
	}
	return m
}

func TestStatusJSONPublicShape(t *testing.T) {
	src := newPlatformSource()
	src.fail()
	h := mustNew(t, src, WithAuthorizer(bearer), WithActions(&fakeActions{}), WithTitle("Casino"))
	rec := do(h, "GET", "/status.json", "")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	for _, leak := range []string{"s3cr3t", "abc123", "PSP migration window", "OPS-12", "dana", "runbook", "evidence", "lastError", "details", "db.internal"} {
		if strings.Contains(body, leak) {
			t.Errorf("public status.json contains %q:\n%s", leak, body)
		}
	}
	m := decodeMap(t, rec.Body.Bytes())
	if m["title"] != "Casino" || m["detailed"] != false || m["canAct"] != false || m["status"] != "fail" {
		t.Errorf("title/detailed/canAct/status = %v/%v/%v/%v", m["title"], m["detailed"], m["canAct"], m["status"])
	}
	if m["windowSeconds"] != 3600.0 || m["refreshSeconds"] != DefaultRefresh.Seconds() {
		t.Errorf("windowSeconds=%v refreshSeconds=%v", m["windowSeconds"], m["refreshSeconds"])
	}
	groups := m["groups"].([]any)
	var names []string
	for _, g := range groups {
		names = append(names, g.(map[string]any)["name"].(string))
	}
	want := []string{GroupServers, GroupAPI, GroupDatabases, GroupPayments, GroupGames, GroupKYC, GroupNetwork}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("groups %v, want %v", names, want)
	}
	host := groups[0].(map[string]any)["components"].([]any)[0].(map[string]any)
	if host["p50"] != nil || host["errorRate"] != nil || host["summary"] != "cpu 37% · mem 61% · disk 48%" {
		t.Errorf("unmeasured numbers must be null: %v", host)
	}
	stripe := groups[3].(map[string]any)["components"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "name", "kind", "status", "p50", "p95", "errorRate", "requestRate", "volume", "uptimePct", "latencySparkline", "errorSparkline", "since"} {
		if _, ok := stripe[k]; !ok {
			t.Errorf("component lacks %q: %v", k, stripe)
		}
	}
	if stripe["status"] != "fail" || stripe["errorRate"] != 0.42 || len(stripe["latencySparkline"].([]any)) != 30 {
		t.Errorf("stripe = %v", stripe)
	}
	adyen := groups[3].(map[string]any)["components"].([]any)[1].(map[string]any)
	if ov := adyen["override"].(map[string]any); ov["status"] != "fail" || ov["reason"] != nil {
		t.Errorf("override shows without reason publicly: %v", ov)
	}
	alert := m["alerts"].([]any)[0].(map[string]any)
	if alert["state"] != "firing" || alert["value"] != 0.42 || alert["labels"].(map[string]any)["component"] != "stripe" {
		t.Errorf("alert = %v", alert)
	}
	if ann := alert["annotations"].(map[string]any); len(ann) != 1 || ann["summary"] == nil {
		t.Errorf("public annotations must be the summary only: %v", ann)
	}

	// A Go client can read the same JSON back.
	var back Snapshot
	if err := json.Unmarshal(rec.Body.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Window != time.Hour || !math.IsNaN(back.Groups[0].Components[0].P50) || back.Groups[3].Components[0].ErrorRate != 0.42 {
		t.Errorf("round trip: window %v, host p50 %v", back.Window, back.Groups[0].Components[0].P50)
	}
}

func TestStatusJSONDetailedWhenAuthorized(t *testing.T) {
	src := newPlatformSource()
	src.fail()
	h := mustNew(t, src, WithAuthorizer(bearer), WithActions(&fakeActions{}))
	rec := do(h, "GET", "/status.json", "", "Authorization", "Bearer "+testToken)
	body := rec.Body.String()
	if strings.Contains(body, "s3cr3t") || strings.Contains(body, "abc123") {
		t.Fatalf("detailed status.json is not redacted:\n%s", body)
	}
	if rec.Header().Get("Vary") != "Authorization" {
		t.Error("detailed responses must Vary on Authorization")
	}
	var s Snapshot
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	stripe := s.Groups[3].Components[0]
	if !s.Detailed || !s.CanAct {
		t.Errorf("detailed=%v canAct=%v", s.Detailed, s.CanAct)
	}
	if !strings.Contains(stripe.LastError, "postgres://REDACTED@db.internal") || stripe.Details["endpoint"] == "" {
		t.Errorf("stripe details missing: %q %v", stripe.LastError, stripe.Details)
	}
	if s.Groups[3].Components[1].Override.Reason != "PSP migration window" {
		t.Error("override reason missing for authorized viewer")
	}
	if a := s.Alerts[0]; a.Annotations["runbook"] == "" || len(a.Evidence) != 1 {
		t.Errorf("alert details missing: %+v", a)
	}
	if s.Silences[0].Comment == "" || s.Events[len(s.Events)-1].Detail == "" {
		t.Error("silence comment or event detail missing for authorized viewer")
	}

	// A wrong token gets the public view, not an error.
	rec = do(h, "GET", "/status.json", "", "Authorization", "Bearer nope")
	if m := decodeMap(t, rec.Body.Bytes()); m["detailed"] != false || strings.Contains(rec.Body.String(), "REDACTED@") {
		t.Fatalf("wrong token saw details: %s", rec.Body)
	}
}

func TestStatusJSONSourceFailure(t *testing.T) {
	src := newPlatformSource()
	err := errBoom
	src.err.Store(&err)
	logger, logs := newLogger()
	h := mustNew(t, src, WithLogger(logger))
	rec := do(h, "GET", "/status.json", "")
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "snapshot failed") || strings.Contains(logs.String(), "hunter2") {
		t.Fatalf("log must record the failure, redacted: %s", logs)
	}
}

func TestSourceNaNDoesNotBreakJSON(t *testing.T) {
	src := SourceFunc(func(context.Context, bool) (Snapshot, error) {
		return Snapshot{
			Groups: []Group{{Name: "x", Components: []Component{{ID: "a", Status: "bogus",
				P50: math.Inf(1), LatencySparkline: []float64{1, math.NaN(), 2}}}}},
			Alerts: []Alert{{Name: "A", Value: math.NaN()}},
		}, nil
	})
	h := mustNew(t, src)
	rec := do(h, "GET", "/status.json", "")
	if rec.Code != 200 {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{`"p50":null`, `"latencySparkline":[1,null,2]`, `"value":null`, `"status":"unknown"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
}

func TestPrepareLeavesSourceDataAlone(t *testing.T) {
	shared := map[string]string{"summary": "s", "secret": "x"}
	ev := []string{"e"}
	src := SourceFunc(func(context.Context, bool) (Snapshot, error) {
		return Snapshot{Alerts: []Alert{{Name: "A", Annotations: shared, Evidence: ev}}}, nil
	})
	h := mustNew(t, src)
	do(h, "GET", "/status.json", "")
	if len(shared) != 2 || ev[0] != "e" {
		t.Fatalf("handler mutated the Source's data: %v %v", shared, ev)
	}
}

func TestPublicSnapshotIsSharedForHalfARefresh(t *testing.T) {
	src := newPlatformSource()
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	h := mustNew(t, src, withClock(clk), WithRefresh(2*time.Second), WithAuthorizer(bearer))
	do(h, "GET", "/status.json", "")
	do(h, "GET", "/badge/stripe.svg", "")
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("two public requests within the TTL made %d Source calls, want 1", n)
	}
	do(h, "GET", "/status.json", "", "Authorization", "Bearer "+testToken)
	if n := src.calls.Load(); n != 2 {
		t.Fatalf("a detailed request must not be served from the cache: %d calls", n)
	}
	clk.Advance(time.Second)
	do(h, "GET", "/status.json", "")
	if n := src.calls.Load(); n != 3 {
		t.Fatalf("after the TTL the snapshot must be refreshed: %d calls", n)
	}
}

// blockingSource holds its first call until release is closed.
type blockingSource struct {
	inner   *platformSource
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingSource) Snapshot(ctx context.Context, detailed bool) (Snapshot, error) {
	b.once.Do(func() { close(b.entered); <-b.release })
	return b.inner.Snapshot(ctx, detailed)
}

func TestConcurrentMissesMakeOneSourceCall(t *testing.T) {
	src := newPlatformSource()
	bs := &blockingSource{inner: src, entered: make(chan struct{}), release: make(chan struct{})}
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	h := mustNew(t, bs, withClock(clk))
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = do(h, "GET", "/status.json", "").Code
		}()
		if i == 0 {
			<-bs.entered
		}
	}
	close(bs.release)
	wg.Wait()
	for _, c := range codes {
		if c != 200 {
			t.Fatalf("codes %v", codes)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d Source calls for 8 concurrent viewers, want 1", n)
	}
}

func TestPage(t *testing.T) {
	src := newPlatformSource()
	src.fail()
	h := mustNew(t, src, WithTitle(`Casino <script>alert("x")</script>`))
	rec := do(h, "GET", "/", "")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(body, `<script>alert`) || !strings.Contains(body, "Casino &lt;script&gt;") {
		t.Error("title is not escaped in the page")
	}
	// The page renders from JSON: no component data in the HTML.
	for _, s := range []string{"stripe", "PaymentProviderErrors", GroupPayments} {
		if strings.Contains(body, s) {
			t.Errorf("initial HTML contains %q; the page must render from JSON", s)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if !strings.Contains(body, `src="assets/app.js?v=`) || !strings.Contains(body, `href="assets/style.css?v=`) {
		t.Error("asset URLs must be relative and versioned")
	}

	// The ETag lets browsers revalidate cheaply.
	rec2 := do(h, "GET", "/", "", "If-None-Match", rec.Header().Get("ETag"))
	if rec2.Code != http.StatusNotModified {
		t.Errorf("revalidation got %d", rec2.Code)
	}
}

func TestAssets(t *testing.T) {
	h := mustNew(t, newPlatformSource())
	tests := []struct {
		path, ctype string
		code        int
		contains    string
	}{
		{"/assets/app.js", "text/javascript; charset=utf-8", 200, "EventSource"},
		{"/assets/style.css", "text/css; charset=utf-8", 200, "prefers-color-scheme"},
		{"/assets/index.html", "", 404, ""},
		{"/assets/..%2fdashboard.go", "", 404, ""},
	}
	for _, tt := range tests {
		rec := do(h, "GET", tt.path, "")
		if rec.Code != tt.code {
			t.Errorf("%s: got %d, want %d", tt.path, rec.Code, tt.code)
			continue
		}
		if tt.code == 200 && (rec.Header().Get("Content-Type") != tt.ctype || !strings.Contains(rec.Body.String(), tt.contains)) {
			t.Errorf("%s: content type %q", tt.path, rec.Header().Get("Content-Type"))
		}
	}
}

func TestPageJSUsesNoHTMLSinksOrAbsoluteURLs(t *testing.T) {
	js := string(assetTable["app.js"].body)
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", `"/status.json"`, `"/events"`, `"/api/`, "localStorage"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js contains %q", bad)
		}
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	h := mustNew(t, newPlatformSource())
	mux := http.NewServeMux()
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, p := range []string{"/dashboard/", "/dashboard/status.json", "/dashboard/assets/app.js", "/dashboard/badge/stripe.svg"} {
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}

	// StripPrefix("/dashboard") with a mux pattern "/dashboard" (no slash)
	// hands us an empty path: redirect relatively to keep the prefix.
	mux2 := http.NewServeMux()
	mux2.Handle("/dashboard", http.StripPrefix("/dashboard", h))
	rec := httptest.NewRecorder()
	mux2.ServeHTTP(rec, httptest.NewRequest("GET", "/dashboard", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "dashboard/" {
		t.Errorf("got %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := mustNew(t, newPlatformSource())
	tests := []struct {
		method, path string
		code         int
	}{
		{"GET", "/nope", 404},
		{"GET", "/index.html", 404},
		{"GET", "/badge/stripe", 404},
		{"GET", "/badge/nobody.svg", 404},
		{"GET", "/badge/.svg", 404},
		{"POST", "/status.json", 405},
		{"GET", "/api/silences", 405},
		{"PUT", "/api/overrides", 405},
	}
	for _, tt := range tests {
		if rec := do(h, tt.method, tt.path, ""); rec.Code != tt.code {
			t.Errorf("%s %s: got %d, want %d", tt.method, tt.path, rec.Code, tt.code)
		}
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	h, err := New(newPlatformSource())
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(h.Close(), h.Close()); err != nil {
		t.Fatal(err)
	}
	if rec := do(h, "GET", "/events", ""); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("events after Close: %d", rec.Code)
	}
	if rec := do(h, "GET", "/status.json", ""); rec.Code != 200 {
		t.Fatalf("status.json after Close: %d", rec.Code)
	}
}
