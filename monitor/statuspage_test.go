package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
	"github.com/jackcode/igmon/probes"
)

const opsToken = "Bearer ops-token"

// pageFixture is a Monitor with every kind of component the status page
// shows, served on loopback.
type pageFixture struct {
	m    *Monitor
	page *httptest.Server
}

func newPageFixture(t *testing.T) *pageFixture {
	t.Helper()
	rule := alerting.Rule{Name: "WalletDBDown", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}},
		Labels: map[string]string{"severity": "critical"}}
	m, err := New(quiet, WithServiceName("casino"),
		WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("Authorization") == opsToken }),
		WithAlerting([]alerting.Rule{rule}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(context.Background()) })

	// A payment provider with traffic: 18 deposits pass, 2 get a 503.
	var calls int
	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++ // the client below is sequential
		if calls%10 == 0 {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"succeeded"}`))
	}))
	t.Cleanup(psp.Close)
	stripe := mustDep(t, m, instrument.KindPayment, "stripe")
	callPSP(t, &http.Client{Transport: stripe.Transport(nil)}, psp.URL, 20)

	// A game provider judged by its passive health check.
	pragmatic := mustDep(t, m, instrument.KindGameProvider, "pragmatic")
	hc, err := pragmatic.HealthCheck()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add(hc); err != nil {
		t.Fatal(err)
	}

	// A failing datastore check whose error carries a credential.
	if err := m.Checks().Register("wallet-db", func(context.Context) error {
		return errors.New("dial postgres://wallet:s3cret@10.0.0.5:5432/wallet: connection refused")
	}, checks.WithComponentType("datastore")); err != nil {
		t.Fatal(err)
	}

	// A synthetic probe of a healthy endpoint.
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(target.Close)
	// It is judged on its first run (one success decides), which
	// Evaluate below makes; its loop would run next an hour later. The
	// timeout is one a loaded machine meets.
	p, err := probes.HTTP(m.MeterProvider(), "lobby-api", target.URL+"/health",
		probes.WithInterval(time.Hour), probes.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddProbe(p, checks.WithThresholds(1, 1), checks.WithInitialDelay(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// The service's own API behind the middleware: routes are patterns.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/bets/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })
	mux.HandleFunc("POST /api/withdrawals", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "wallet unavailable", http.StatusInternalServerError)
	})
	api, err := m.Middleware(mux)
	if err != nil {
		t.Fatal(err)
	}
	apiSrv := httptest.NewServer(api)
	t.Cleanup(apiSrv.Close)
	// IDs no number on the page can spell by chance: "1001" once matched
	// the digits of a timestamp in the leak check below.
	for _, id := range []string{"bet-7qz01", "bet-7qz02", "bet-7qz03", "player-42"} {
		resp, err := http.Get(apiSrv.URL + "/api/bets/" + id + "?token=abc")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Post(apiSrv.URL+"/api/withdrawals", "application/json", strings.NewReader(`{"amount":5}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Evaluate runs every readiness check that never ran, the probe and
	// the passive check included, and returns with their results.
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	res, _ := m.Checks().Result("lobby-api")
	pres, _ := m.Checks().Result("pragmatic")
	if res.Status != checks.StatusPass || pres.Status != checks.StatusPass {
		t.Fatalf("after a first evaluation: lobby-api %v (%v), pragmatic %v (%v); want both pass", res.Status, res.Err, pres.Status, pres.Err)
	}
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	h, err := m.Dashboard()
	if err != nil {
		t.Fatal(err)
	}
	if h2, err := m.Dashboard(); err != nil || h2 != h {
		t.Fatalf("second Dashboard() = %p, %v; want the same handler", h2, err)
	}
	f := &pageFixture{m: m, page: httptest.NewServer(h)}
	t.Cleanup(f.page.Close)
	return f
}

// status fetches status.json, with the operator's token when authorized.
func (f *pageFixture) status(t *testing.T, authorized bool) dashboard.Snapshot {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.page.URL+"/status.json", nil)
	if authorized {
		req.Header.Set("Authorization", opsToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status.json: %d", resp.StatusCode)
	}
	var s dashboard.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// act posts (or deletes) an action with the headers a browser on the page
// would send.
func (f *pageFixture) act(t *testing.T, method, path, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, f.page.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", f.page.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func component(t *testing.T, s dashboard.Snapshot, group, id string) dashboard.Component {
	t.Helper()
	for _, g := range s.Groups {
		if g.Name != group {
			continue
		}
		for _, c := range g.Components {
			if c.ID == id {
				return c
			}
		}
		var ids []string
		for _, c := range g.Components {
			ids = append(ids, c.ID)
		}
		t.Fatalf("group %q has no %q: %v", group, id, ids)
	}
	t.Fatalf("no group %q", group)
	return dashboard.Component{}
}

func TestStatusPageShowsEveryComponent(t *testing.T) {
	f := newPageFixture(t)
	for _, detailed := range []bool{true, false} {
		s := f.status(t, detailed)
		if s.Detailed != detailed || s.Service.Name != "casino" || s.Status != dashboard.StatusFail {
			t.Fatalf("detailed=%v: snapshot %+v", detailed, s)
		}

		stripe := component(t, s, dashboard.GroupPayments, "payment-stripe")
		if stripe.Volume != 20 || math.Abs(stripe.ErrorRate-0.1) > 1e-9 || math.IsNaN(stripe.P95) || stripe.P95 <= 0 ||
			math.Abs(stripe.UptimePct-90) > 1e-9 || stripe.RequestRate <= 0 {
			t.Errorf("detailed=%v: stripe %+v", detailed, stripe)
		}
		// No health check: 10% failed calls must not look healthy
		// (5% degrades, 25% fails: the status rule's traffic signal).
		if stripe.Status != dashboard.StatusWarn || stripe.Signal != "traffic" || !strings.Contains(stripe.Reason, "10 %") {
			t.Errorf("detailed=%v: stripe with 10%% errors is %q", detailed, stripe.Status)
		}
		if prag := component(t, s, dashboard.GroupGames, "game_provider-pragmatic"); prag.Status != dashboard.StatusPass || prag.Volume != 0 {
			t.Errorf("detailed=%v: pragmatic %+v", detailed, prag)
		}

		db := component(t, s, dashboard.GroupDatabases, "wallet-db")
		if db.Status != dashboard.StatusFail || db.Since.IsZero() {
			t.Errorf("detailed=%v: wallet-db %+v", detailed, db)
		}
		if detailed != (db.LastError != "") || strings.Contains(db.LastError, "s3cret") {
			t.Errorf("detailed=%v: wallet-db last error %q", detailed, db.LastError)
		}
		if detailed && !strings.Contains(db.LastError, "connection refused") {
			t.Errorf("wallet-db last error %q", db.LastError)
		}

		probe := component(t, s, dashboard.GroupNetwork, "lobby-api")
		if probe.Status != dashboard.StatusPass || probe.Volume < 1 || math.IsNaN(probe.P50) || probe.UptimePct <= 0 {
			t.Errorf("detailed=%v: probe %+v", detailed, probe)
		}

		// Routes are named by method and pattern, never by raw path, and
		// keep their traffic from one snapshot to the next.
		bets := component(t, s, dashboard.GroupAPI, "route-get-api-bets-id")
		if bets.Name != "GET /api/bets/{id}" || bets.Volume != 4 || bets.ErrorRate != 0 || math.IsNaN(bets.P95) ||
			bets.Status != dashboard.StatusPass {
			t.Errorf("detailed=%v: bets route %+v", detailed, bets)
		}
		wd := component(t, s, dashboard.GroupAPI, "route-post-api-withdrawals")
		// One failed request of one: too few to fail the route, enough to warn.
		if wd.Volume != 1 || wd.ErrorRate != 1 || wd.Status != dashboard.StatusWarn {
			t.Errorf("detailed=%v: withdrawals route %+v", detailed, wd)
		}
		raw, _ := json.Marshal(s)
		for _, leak := range []string{"player-42", "bet-7qz0", "token=abc", "s3cret"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("detailed=%v: status.json contains %q", detailed, leak)
			}
		}

		if p := component(t, s, dashboard.GroupServers, "process"); !strings.Contains(p.Summary, "goroutines") {
			t.Errorf("detailed=%v: process %+v", detailed, p)
		}
		component(t, s, dashboard.GroupServers, "host")

		// The failing check's alert, with its evidence for operators only.
		if len(s.Alerts) != 1 || s.Alerts[0].Name != "WalletDBDown" || s.Alerts[0].State != dashboard.AlertFiring {
			t.Fatalf("detailed=%v: alerts %+v", detailed, s.Alerts)
		}
		if ev := strings.Join(s.Alerts[0].Evidence, "\n"); detailed != strings.Contains(ev, "check wallet-db turned fail") {
			t.Errorf("detailed=%v: evidence %q", detailed, ev)
		}

		// The timeline tells the public what changed, not the error.
		var dbEvent *dashboard.Event
		for i, e := range s.Events {
			if e.Component == "wallet-db" && e.Kind == eventCheck {
				dbEvent = &s.Events[i]
			}
		}
		if dbEvent == nil || !strings.Contains(dbEvent.Message, "check wallet-db") || strings.Contains(dbEvent.Message, "refused") {
			t.Fatalf("detailed=%v: wallet-db event %+v", detailed, dbEvent)
		}
		if detailed != strings.Contains(dbEvent.Detail, "connection refused") {
			t.Errorf("detailed=%v: wallet-db event detail %q", detailed, dbEvent.Detail)
		}
	}
}

func TestStatusPageActions(t *testing.T) {
	f := newPageFixture(t)
	m := f.m
	override := `{"component":"wallet-db","status":"pass","reason":"replica promoted, CHG-4711"}`

	// Refused without the token; nothing changes.
	if code := f.act(t, http.MethodPost, "/api/overrides", "", override); code != http.StatusUnauthorized {
		t.Fatalf("unauthorized override: %d", code)
	}
	if res, _ := m.Checks().Result("wallet-db"); res.Status != checks.StatusFail || res.Override != nil {
		t.Fatalf("wallet-db after refused override: %+v", res)
	}

	if code := f.act(t, http.MethodPost, "/api/overrides", opsToken, override); code != http.StatusOK {
		t.Fatalf("override: %d", code)
	}
	if res, _ := m.Checks().Result("wallet-db"); res.Status != checks.StatusPass || res.Override == nil {
		t.Fatalf("wallet-db after override: %+v", res)
	}
	ovs := m.events.Query(eventQuery{Component: "wallet-db", Kind: eventOverride})
	if len(ovs) != 1 || ovs[0].Attrs["by"] != "dashboard" || !strings.Contains(ovs[0].Message, "set to pass") {
		t.Fatalf("override events %+v", ovs)
	}

	// The page names a dependency's card "<kind>-<name>"; the override
	// reaches its health check.
	if code := f.act(t, http.MethodPost, "/api/overrides", opsToken,
		`{"component":"game_provider-pragmatic","status":"fail","reason":"provider maintenance window"}`); code != http.StatusOK {
		t.Fatalf("override of a dependency card: %d", code)
	}
	// Passive health checks are non-critical: out of service means warn.
	if res, _ := m.Checks().Result("pragmatic"); res.Override == nil || res.Override.Status != checks.StatusFail || res.Status != checks.StatusWarn {
		t.Fatalf("pragmatic after override: %+v", res)
	}
	if code := f.act(t, http.MethodPost, "/api/overrides", opsToken,
		`{"component":"no-such-thing","status":"fail","reason":"x"}`); code != http.StatusNotFound {
		t.Fatalf("override of an unknown component: %d", code)
	}

	pub := f.status(t, false)
	if c := component(t, pub, dashboard.GroupDatabases, "wallet-db"); c.Status != dashboard.StatusPass || c.Override == nil || c.Override.Reason != "" {
		t.Errorf("public wallet-db after override %+v", c)
	}
	if c := component(t, pub, dashboard.GroupGames, "game_provider-pragmatic"); c.Status != dashboard.StatusWarn || c.Override == nil || c.Override.Status != dashboard.StatusFail {
		t.Errorf("public pragmatic after override %+v", c)
	}
	for _, e := range pub.Events {
		if strings.Contains(e.Message, "CHG-4711") || strings.Contains(e.Message, "maintenance window") || e.Detail != "" {
			t.Errorf("public event shows operator text: %+v", e)
		}
	}
	det := f.status(t, true)
	if c := component(t, det, dashboard.GroupDatabases, "wallet-db"); c.Override == nil || c.Override.Reason != "replica promoted, CHG-4711" {
		t.Errorf("detailed wallet-db override %+v", c.Override)
	}

	// A silence from the page lands in the silence set and the timeline.
	if code := f.act(t, http.MethodPost, "/api/silences", opsToken,
		`{"matchers":[{"name":"alertname","op":"=","value":"WalletDBDown"}],"duration":"30m","author":"maria","comment":"failover drill"}`); code != http.StatusOK {
		t.Fatalf("silence: %d", code)
	}
	sils := m.Silences().List()
	if len(sils) != 1 || sils[0].CreatedBy != "maria" {
		t.Fatalf("silences %+v", sils)
	}
	if evs := m.events.Query(eventQuery{Kind: eventSilence}); len(evs) != 1 || evs[0].Attrs["by"] != "maria" {
		t.Fatalf("silence events %+v", evs)
	}
	pub = f.status(t, false)
	if len(pub.Alerts) != 1 || !pub.Alerts[0].Silenced || len(pub.Silences) != 1 || pub.Silences[0].Author != "" {
		t.Errorf("public alerts %+v silences %+v", pub.Alerts, pub.Silences)
	}
	for _, e := range pub.Events {
		if e.Kind == eventSilence && (strings.Contains(e.Message, "failover drill") || strings.Contains(e.Message, "maria")) {
			t.Errorf("public silence event shows author or comment: %+v", e)
		}
	}
	if code := f.act(t, http.MethodDelete, "/api/silences", opsToken, `{"id":"`+sils[0].ID+`"}`); code != http.StatusOK {
		t.Fatalf("unsilence: %d", code)
	}
	if code := f.act(t, http.MethodDelete, "/api/overrides", opsToken,
		`{"component":"wallet-db","reason":"primary back"}`); code != http.StatusOK {
		t.Fatalf("clear override: %d", code)
	}
	if res, _ := m.Checks().Result("wallet-db"); res.Override != nil {
		t.Fatalf("override not cleared: %+v", res)
	}
	if n := len(m.events.Query(eventQuery{Component: "wallet-db", Kind: eventOverride})); n != 2 {
		t.Fatalf("%d override events, want set and clear", n)
	}
}

func TestShutdownClosesDashboardStreams(t *testing.T) {
	f := newPageFixture(t)
	resp, err := http.Get(f.page.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events content type %q", ct)
	}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before a snapshot: %v", err)
		}
		if strings.HasPrefix(line, "event: snapshot") {
			break
		}
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, br)
		ended <- err
	}()

	if err := f.m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("stream ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown left the event stream open")
	}
	if _, err := f.m.Dashboard(); err != nil {
		t.Fatalf("Dashboard() after Shutdown must return the closed handler: %v", err)
	}
}

func TestDashboardAfterShutdown(t *testing.T) {
	m, err := New(quiet, WithoutSystemMetrics())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Dashboard(); err == nil {
		t.Fatal("Dashboard() after Shutdown returned a handler nobody will close")
	}
}

func TestDashboardOptionsSetTitleAndRejectBadValuesByName(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opt     DashboardOption
		wantErr string
	}{
		{"empty title", WithDashboardTitle(""), "WithDashboardTitle"},
		{"refresh too fast", WithDashboardRefresh(time.Millisecond), "WithDashboardRefresh"},
		{"refresh too slow", WithDashboardRefresh(time.Hour), "WithDashboardRefresh"},
		{"nil option", nil, "nil DashboardOption"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(quiet, WithoutSystemMetrics())
			if err != nil {
				t.Fatal(err)
			}
			defer m.Shutdown(context.Background())
			if _, err := m.Dashboard(tc.opt); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Dashboard(%s) error = %v; want one naming %s", tc.name, err, tc.wantErr)
			}
		})
	}

	m, err := New(quiet, WithoutSystemMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	h, err := m.Dashboard(WithDashboardTitle("Casino <ops>"), WithDashboardRefresh(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, "<title>Casino &lt;ops&gt;") {
		t.Fatalf("page %d does not carry the title set by WithDashboardTitle:\n%.400s", rec.Code, body)
	}
}

func TestRouteFiguresCoverTheStatusWindow(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	m, err := New(quiet, WithoutSystemMetrics(), withReader(t, reader))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	eng := clock.NewFake(time.Now())
	engineOn(m, eng)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/games", func(w http.ResponseWriter, r *http.Request) {})
	api, err := m.Middleware(mux)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(n int) {
		for range n {
			api.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/games", nil))
		}
	}
	serve(3)
	eng.Set(time.Now()) // after the instruments' start time
	start := eng.Now()
	for _, step := range []struct {
		at    time.Duration
		serve int // requests after the look
		want  float64
	}{
		{0, 0, 3},
		{10 * time.Second, 2, 3},
		// The window is 30 s: at +45 s it starts at +15 s, after the
		// first three requests and before the last two.
		{45 * time.Second, 0, 2},
		{2 * time.Minute, 0, 0},
	} {
		eng.Set(start.Add(step.at))
		cycle(t, m)
		if v := m.traffic.snapshot().routes["GET /api/games"].calls; v != step.want {
			t.Fatalf("at +%v: volume %v, want %v", step.at, v, step.want)
		}
		serve(step.serve)
	}
}
