package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/internal/buildinfo"
	"github.com/jackcode/igmon/internal/clock"
)

// The spec's schemas, written from api/v2/openapi.yaml independently of
// the production types so that a renamed or retyped field fails here.
// Times stay strings: the test checks their format itself.
type specReceiver struct {
	Name string `json:"name"`
}

type specAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	UpdatedAt    string            `json:"updatedAt"`
	Fingerprint  string            `json:"fingerprint"`
	Receivers    []specReceiver    `json:"receivers"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State       string   `json:"state"`
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
		MutedBy     []string `json:"mutedBy"`
	} `json:"status"`
}

type specGroup struct {
	Labels   map[string]string `json:"labels"`
	Receiver specReceiver      `json:"receiver"`
	Alerts   []specAlert       `json:"alerts"`
}

type specMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

type specSilence struct {
	ID     string `json:"id"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
	UpdatedAt string        `json:"updatedAt"`
	Matchers  []specMatcher `json:"matchers"`
	StartsAt  string        `json:"startsAt"`
	EndsAt    string        `json:"endsAt"`
	CreatedBy string        `json:"createdBy"`
	Comment   string        `json:"comment"`
}

type specStatus struct {
	Cluster struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Peers  []any  `json:"peers"`
	} `json:"cluster"`
	VersionInfo struct {
		Version   string `json:"version"`
		Revision  string `json:"revision"`
		Branch    string `json:"branch"`
		BuildUser string `json:"buildUser"`
		BuildDate string `json:"buildDate"`
		GoVersion string `json:"goVersion"`
	} `json:"versionInfo"`
	Config struct {
		Original string `json:"original"`
	} `json:"config"`
	Uptime string `json:"uptime"`
}

// amEnv is a real evaluator feeding a real dispatcher, both on a fake
// clock, behind the real handler on a loopback server mounted under a
// prefix as monitor users mount it.
type amEnv struct {
	t   *testing.T
	m   *meters
	ev  *alerting.Evaluator
	d   *dispatch.Dispatcher
	srv *httptest.Server
}

const amPrefix = "/igmon/alerts"

func newAMEnv(t *testing.T) *amEnv {
	t.Helper()
	m := newMeters(t)
	d := newDispatcher(t, m.clk,
		dispatch.WithReceiver(dispatch.Receiver{Name: "oncall", Notifier: discard}),
		dispatch.WithReceiver(dispatch.Receiver{Name: "kyc-team", Notifier: discard}),
		dispatch.WithRoute(dispatch.Route{Matchers: mustMatchers(t, `team="kyc"`), Receivers: []string{"kyc-team"}, GroupBy: []string{"team"}}),
		dispatch.WithRoute(dispatch.Route{Receivers: []string{"oncall"}, GroupBy: []string{alerting.LabelAlertName}}),
		dispatch.WithInhibitRule(dispatch.InhibitRule{Source: mustMatchers(t, `alertname="CPU"`), Target: mustMatchers(t, `alertname="Memory"`), Equal: []string{"team"}}),
		dispatch.WithMaintenanceWindow(dispatch.MaintenanceWindow{Name: "kyc upgrade", Matchers: mustMatchers(t, `team="kyc"`),
			Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)}))
	cpu := mustSel(t, `system.cpu.utilization`)
	ev, err := alerting.NewEvaluator([]alerting.Rule{
		{Name: "CPU", Labels: map[string]string{"team": "platform", "severity": "page"},
			// The description and evidence are for operators only
			// (handler_auth_test.go); the summary is public.
			Annotations: map[string]string{"summary": "CPU high", "description": secretDescription, "evidence": secretEvidence},
			Condition:   &alerting.Threshold{Metric: cpu, Value: 0.9}},
		{Name: "Memory", Labels: map[string]string{"team": "platform"},
			Condition: &alerting.Threshold{Metric: mustSel(t, `system.memory.utilization`), Value: 0.9}},
		{Name: "KYC", Labels: map[string]string{"team": "kyc"}, Condition: &alerting.Threshold{Metric: cpu, Value: 0.9}},
		{Name: "SlowCPU", For: 5 * time.Minute, Condition: &alerting.Threshold{Metric: cpu, Value: 0.9}},
	}, fakeClock(m.clk), alerting.WithMetricSource(m.reader), alerting.WithSink(d))
	if err != nil {
		t.Fatal(err)
	}
	m.cpu.Record(context.Background(), 0.97)
	m.mem.Record(context.Background(), 0.95)
	if err := ev.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	auth := func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer ops" {
			return errors.New("no")
		}
		return nil
	}
	srv := httptest.NewServer(http.StripPrefix(amPrefix, newHandler(t, ev, d, WithAuthorizer(auth))))
	t.Cleanup(srv.Close)
	return &amEnv{t: t, m: m, ev: ev, d: d, srv: srv}
}

// do sends a request and returns the status code and body.
func (e *amEnv) do(method, path, body, token string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+amPrefix+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// Every method that may carry a body gets the JSON content type, a
	// DELETE too, as Grafana and older amtools send it (amtool 0.31 sends
	// none on a DELETE: TestAMDeleteWithoutContentType).
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// get decodes a 200 answer to an anonymous request strictly: a field the
// spec does not name fails.
func (e *amEnv) get(path string, v any) {
	e.t.Helper()
	e.getAs("", path, v)
}

// getAs is get with a bearer token ("" for none).
func (e *amEnv) getAs(token, path string, v any) {
	e.t.Helper()
	code, b := e.do("GET", path, "", token)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, code, b)
	}
	strictDecode(e.t, b, v)
}

func strictDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// requireKeys checks that every required property of a schema is present
// in the raw JSON object (strict decoding alone accepts missing fields).
func requireKeys(t *testing.T, obj map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			t.Errorf("missing required %q in %v", k, obj)
		}
	}
}

func checkTime(t *testing.T, field, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("%s %q is not a date-time: %v", field, s, err)
	}
	return tm
}

func TestAMStatus(t *testing.T) {
	e := newAMEnv(t)
	var st specStatus
	e.get("/api/v2/status", &st)
	if st.Cluster.Status != "ready" || st.Cluster.Name == "" || st.Cluster.Peers == nil || len(st.Cluster.Peers) != 0 {
		t.Errorf("cluster %+v", st.Cluster)
	}
	if st.VersionInfo.GoVersion == "" || st.VersionInfo.Version == "" {
		t.Errorf("versionInfo %+v", st.VersionInfo)
	}
	if !strings.Contains(st.Config.Original, `- name: "oncall"`) || !strings.Contains(st.Config.Original, `- name: "kyc-team"`) {
		t.Errorf("config.original %q", st.Config.Original)
	}
	if up := checkTime(t, "uptime", st.Uptime); up.After(time.Now()) {
		t.Errorf("uptime %v in the future", up)
	}
	_, b := e.do("GET", "/api/v2/status", "", "")
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	requireKeys(t, raw, "cluster", "versionInfo", "config", "uptime")
	requireKeys(t, raw["cluster"].(map[string]any), "status")
	requireKeys(t, raw["versionInfo"].(map[string]any), "version", "revision", "branch", "buildUser", "buildDate", "goVersion")
	requireKeys(t, raw["config"].(map[string]any), "original")

	var rcv []specReceiver
	e.get("/api/v2/receivers", &rcv)
	if len(rcv) != 2 || rcv[0].Name != "oncall" || rcv[1].Name != "kyc-team" {
		t.Errorf("receivers %+v", rcv)
	}
}

func TestAMAlerts(t *testing.T) {
	e := newAMEnv(t)
	cpuFP := firingFingerprint(t, e.ev, "CPU")
	type want struct {
		state       string
		inhibitedBy []string
		mutedBy     []string
		receivers   []string
	}
	all := map[string]want{
		"CPU":    {"active", []string{}, []string{}, []string{"oncall"}},
		"Memory": {"suppressed", []string{cpuFP}, []string{}, []string{"oncall"}},
		"KYC":    {"suppressed", []string{}, []string{"kyc upgrade"}, []string{"kyc-team"}}, // maintenance window
	}
	tests := []struct {
		query string
		names []string
	}{
		{"", []string{"CPU", "KYC", "Memory"}},
		{"?active=true&silenced=true&inhibited=true&unprocessed=true", []string{"CPU", "KYC", "Memory"}},
		{"?active=false", []string{"KYC", "Memory"}},
		{"?inhibited=false", []string{"CPU", "KYC"}},
		{"?silenced=false", []string{"CPU", "KYC", "Memory"}}, // nothing silenced yet
		{"?filter=" + url.QueryEscape(`team="platform"`), []string{"CPU", "Memory"}},
		{"?filter=" + url.QueryEscape(`team="platform"`) + "&filter=" + url.QueryEscape(`alertname=~"C.*"`), []string{"CPU"}},
		{"?filter=" + url.QueryEscape(`team!="platform"`), []string{"KYC"}},
		{"?receiver=kyc-.*", []string{"KYC"}},
		{"?receiver=kyc", []string{}}, // anchored, as in Alertmanager
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			var got []specAlert
			e.get("/api/v2/alerts"+tc.query, &got)
			var names []string
			for _, a := range got {
				n := a.Labels[alerting.LabelAlertName]
				names = append(names, n)
				w, ok := all[n]
				if !ok {
					t.Errorf("unexpected alert %v (pending alerts are never listed)", a.Labels)
					continue
				}
				if a.Status.State != w.state || !slices.Equal(a.Status.InhibitedBy, w.inhibitedBy) || a.Status.SilencedBy == nil || len(a.Status.SilencedBy) != 0 ||
					a.Status.MutedBy == nil || !slices.Equal(a.Status.MutedBy, w.mutedBy) {
					t.Errorf("%s status %+v, want %+v", n, a.Status, w)
				}
				var rn []string
				for _, r := range a.Receivers {
					rn = append(rn, r.Name)
				}
				if !slices.Equal(rn, w.receivers) {
					t.Errorf("%s receivers %v, want %v", n, rn, w.receivers)
				}
				if a.Fingerprint == "" || a.Annotations == nil {
					t.Errorf("%s fingerprint/annotations %+v", n, a)
				}
				if st := checkTime(t, "startsAt", a.StartsAt); !st.Equal(t0) {
					t.Errorf("%s startsAt %v, want fired at %v", n, st, t0)
				}
				checkTime(t, "endsAt", a.EndsAt)
				checkTime(t, "updatedAt", a.UpdatedAt)
			}
			slices.Sort(names)
			if !slices.Equal(names, tc.names) && !(len(names) == 0 && len(tc.names) == 0) {
				t.Errorf("alerts %v, want %v", names, tc.names)
			}
		})
	}

	// Every required property is present (strict decoding accepts
	// missing ones).
	_, b := e.do("GET", "/api/v2/alerts", "", "")
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) == 0 {
		t.Fatalf("%s %v", b, err)
	}
	requireKeys(t, raw[0], "labels", "annotations", "receivers", "fingerprint", "startsAt", "updatedAt", "endsAt", "status")
	for _, a := range raw {
		requireKeys(t, a["status"].(map[string]any), "state", "silencedBy", "inhibitedBy", "mutedBy")
	}

	for _, q := range []string{"?active=maybe", "?filter=" + url.QueryEscape(`team=~"("`), "?receiver=("} {
		code, b := e.do("GET", "/api/v2/alerts"+q, "", "")
		var msg string
		if code != http.StatusBadRequest || json.Unmarshal(b, &msg) != nil || msg == "" {
			t.Errorf("GET alerts%s: %d %s, want 400 with a JSON string", q, code, b)
		}
	}
}

func TestAMAlertGroups(t *testing.T) {
	e := newAMEnv(t)
	var groups []specGroup
	e.get("/api/v2/alerts/groups", &groups)
	got := map[string][]string{}
	for _, g := range groups {
		var names []string
		for _, a := range g.Alerts {
			names = append(names, a.Labels[alerting.LabelAlertName])
		}
		got[g.Receiver.Name+" "+alerting.Labels(g.Labels).String()] = names
	}
	want := map[string][]string{
		`kyc-team {team="kyc"}`:       {"KYC"},
		`oncall {alertname="CPU"}`:    {"CPU"},
		`oncall {alertname="Memory"}`: {"Memory"},
	}
	if len(got) != len(want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("group %s: %v, want %v", k, got[k], v)
		}
	}
	for _, g := range groups {
		for _, a := range g.Alerts {
			want := []string{}
			if a.Labels["team"] == "kyc" {
				want = []string{"kyc upgrade"}
			}
			if !slices.Equal(a.Status.MutedBy, want) || a.Status.MutedBy == nil {
				t.Errorf("group %v alert %v mutedBy %v, want %v", g.Labels, a.Labels, a.Status.MutedBy, want)
			}
		}
	}
	e.get("/api/v2/alerts/groups?inhibited=false&active=false", &groups)
	if len(groups) != 1 || groups[0].Receiver.Name != "kyc-team" {
		t.Errorf("filtered groups %+v", groups)
	}
	// muted=false leaves out the group the maintenance window mutes.
	e.get("/api/v2/alerts/groups?muted=false", &groups)
	if len(groups) != 2 || slices.ContainsFunc(groups, func(g specGroup) bool { return g.Receiver.Name == "kyc-team" }) {
		t.Errorf("muted=false groups %+v", groups)
	}
	if code, b := e.do("GET", "/api/v2/alerts/groups?muted=maybe", "", ""); code != http.StatusBadRequest {
		t.Errorf("muted=maybe: %d %s", code, b)
	}
}

func amSilenceBody(id, matchers string, start, end time.Time, by, comment string) string {
	b, _ := json.Marshal(map[string]any{"id": id, "matchers": json.RawMessage(matchers),
		"startsAt": start, "endsAt": end, "createdBy": by, "comment": comment})
	return string(b)
}

func TestAMSilenceWritesNeedAuthorization(t *testing.T) {
	e := newAMEnv(t)
	now := e.m.clk.Now()
	body := amSilenceBody("", `[{"name":"team","value":"platform","isRegex":false}]`, now, now.Add(time.Hour), "ana", "migration")
	// A refused POST answers 400, the code the spec gives postSilences a
	// message for (writeAMRefusal); a refused DELETE keeps 403.
	for _, tc := range []struct {
		method, path, body, token string
		code                      int
		msg                       string
	}{
		{"POST", "/api/v2/silences", body, "", 400, "forbidden: not authorized"},
		{"POST", "/api/v2/silences", body, "guest", 400, "forbidden: not authorized"},
		{"DELETE", "/api/v2/silence/abc", "", "", 403, "not authorized"},
	} {
		code, b := e.do(tc.method, tc.path, tc.body, tc.token)
		var msg string
		if code != tc.code || json.Unmarshal(b, &msg) != nil || msg != tc.msg {
			t.Errorf("%s %s token %q: %d %s, want %d %q", tc.method, tc.path, tc.token, code, b, tc.code, tc.msg)
		}
	}
	h := newHandler(t, nil, newDispatcher(t, clock.NewFake(t0))) // no authorizer at all
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v2/silences", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "forbidden: silence changes need an authorizer") {
		t.Errorf("without authorizer: %d %s", rec.Code, rec.Body)
	}
	if n := len(e.d.Silences().List()); n != 0 {
		t.Errorf("%d silences created by refused requests", n)
	}
}

func TestAMPostSilenceErrors(t *testing.T) {
	e := newAMEnv(t)
	now := e.m.clk.Now()
	good := `[{"name":"team","value":"platform","isRegex":false}]`
	tests := []struct {
		name, body string
		code       int
		inMsg      string
	}{
		{"no createdBy", amSilenceBody("", good, now, now.Add(time.Hour), "", "x"), 400, "createdBy"},
		{"no comment", amSilenceBody("", good, now, now.Add(time.Hour), "ana", ""), 400, "comment"},
		{"no matchers", amSilenceBody("", `[]`, now, now.Add(time.Hour), "ana", "x"), 400, "matchers"},
		{"matcher without isRegex", amSilenceBody("", `[{"name":"team","value":"platform"}]`, now, now.Add(time.Hour), "ana", "x"), 400, "isRegex"},
		{"bad regex", amSilenceBody("", `[{"name":"team","value":"(","isRegex":true}]`, now, now.Add(time.Hour), "ana", "x"), 400, "matchers[0]"},
		{"matches everything", amSilenceBody("", `[{"name":"team","value":".*","isRegex":true}]`, now, now.Add(time.Hour), "ana", "x"), 400, "empty string"},
		{"ends before start", amSilenceBody("", good, now, now.Add(-time.Minute), "ana", "x"), 400, "endsAt"},
		{"no endsAt", `{"matchers":` + good + `,"startsAt":"2026-03-02T10:00:00Z","createdBy":"ana","comment":"x"}`, 400, "endsAt"},
		{"not JSON", `{"matchers":`, 400, "invalid"},
		{"unknown id", amSilenceBody("0123456789abcdef", good, now, now.Add(time.Hour), "ana", "x"), 404, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, b := e.do("POST", "/api/v2/silences", tc.body, "ops")
			var msg string
			if code != tc.code || json.Unmarshal(b, &msg) != nil || !strings.Contains(msg, tc.inMsg) {
				t.Errorf("%d %s, want %d with a JSON string containing %q", code, b, tc.code, tc.inMsg)
			}
		})
	}
	if n := len(e.d.Silences().List()); n != 0 {
		t.Errorf("%d silences created by bad requests", n)
	}
}

// TestAMSilenceRoundTrip does what `amtool silence add/query/expire` and
// Grafana do, with Alertmanager's JSON.
func TestAMSilenceRoundTrip(t *testing.T) {
	e := newAMEnv(t)
	now := e.m.clk.Now()
	// amtool sends isEqual; Grafana and older clients may leave it out.
	body := amSilenceBody("", `[{"name":"alertname","value":"CPU","isRegex":false,"isEqual":true},{"name":"team","value":"plat.*","isRegex":true}]`,
		now, now.Add(2*time.Hour), "ana", "host migration")
	code, b := e.do("POST", "/api/v2/silences", body, "ops")
	if code != http.StatusOK {
		t.Fatalf("POST: %d %s", code, b)
	}
	var created struct {
		SilenceID string `json:"silenceID"`
	}
	strictDecode(t, b, &created)
	id := created.SilenceID
	if id == "" {
		t.Fatal("no silenceID")
	}

	// amtool reads with the credentials it writes with, and so sees
	// authors and comments.
	var list []specSilence
	e.getAs("ops", "/api/v2/silences", &list)
	if len(list) != 1 || list[0].ID != id || list[0].Status.State != "active" || list[0].CreatedBy != "ana" || list[0].Comment != "host migration" {
		t.Fatalf("silences %+v", list)
	}
	wantM := []specMatcher{{"alertname", "CPU", false, true}, {"team", "plat.*", true, true}}
	if !slices.Equal(list[0].Matchers, wantM) {
		t.Errorf("matchers %+v, want %+v", list[0].Matchers, wantM)
	}
	if st := checkTime(t, "startsAt", list[0].StartsAt); !st.Equal(now) {
		t.Errorf("startsAt %v", st)
	}
	if en := checkTime(t, "endsAt", list[0].EndsAt); !en.Equal(now.Add(2 * time.Hour)) {
		t.Errorf("endsAt %v", en)
	}
	checkTime(t, "updatedAt", list[0].UpdatedAt)
	_, raw := e.do("GET", "/api/v2/silences", "", "")
	var rawList []map[string]any
	_ = json.Unmarshal(raw, &rawList)
	requireKeys(t, rawList[0], "id", "status", "updatedAt", "matchers", "startsAt", "endsAt", "createdBy", "comment")

	var one specSilence
	e.get("/api/v2/silence/"+id, &one)
	if one.ID != id || one.Status.State != "active" {
		t.Errorf("GET silence %+v", one)
	}
	if code, _ := e.do("GET", "/api/v2/silence/nope", "", ""); code != http.StatusNotFound {
		t.Errorf("GET unknown silence: %d", code)
	}

	// The silence filter reads a silence's matchers as name=value.
	for q, n := range map[string]int{`alertname="CPU"`: 1, `alertname="Memory"`: 0, `team=~"plat.*"`: 1, `owner=""`: 1} {
		e.get("/api/v2/silences?filter="+url.QueryEscape(q), &list)
		if len(list) != n {
			t.Errorf("silences filter %s: %d, want %d", q, len(list), n)
		}
	}

	// The matching alert is suppressed by the silence, others are not.
	var alerts []specAlert
	e.get("/api/v2/alerts?filter="+url.QueryEscape(`alertname="CPU"`), &alerts)
	if len(alerts) != 1 || alerts[0].Status.State != "suppressed" || !slices.Equal(alerts[0].Status.SilencedBy, []string{id}) {
		t.Fatalf("silenced alert %+v", alerts)
	}
	e.get("/api/v2/alerts?silenced=false", &alerts)
	for _, a := range alerts {
		if a.Labels[alerting.LabelAlertName] == "CPU" {
			t.Error("silenced=false still lists the silenced alert")
		}
	}

	// Update: posting with the id replaces the silence (new ID, old one
	// expired by the new author).
	e.m.clk.Advance(10 * time.Minute)
	now = e.m.clk.Now()
	upd := amSilenceBody(id, `[{"name":"alertname","value":"CPU","isRegex":false}]`, now, now.Add(4*time.Hour), "bob", "longer migration")
	code, b = e.do("POST", "/api/v2/silences", upd, "ops")
	if code != http.StatusOK {
		t.Fatalf("update: %d %s", code, b)
	}
	strictDecode(t, b, &created)
	newID := created.SilenceID
	if newID == id {
		t.Fatal("update kept the old ID; igmon replaces")
	}
	e.get("/api/v2/silence/"+id, &one)
	if one.Status.State != "expired" {
		t.Errorf("old silence after update: %+v", one)
	}
	e.get("/api/v2/silences", &list)
	if len(list) != 2 || list[0].ID != newID || list[0].Status.State != "active" || list[1].Status.State != "expired" {
		t.Errorf("after update %+v", list)
	}

	// amtool silence expire.
	if code, b := e.do("DELETE", "/api/v2/silence/"+newID, "", "ops"); code != http.StatusOK {
		t.Fatalf("DELETE: %d %s", code, b)
	}
	e.get("/api/v2/silence/"+newID, &one)
	if one.Status.State != "expired" {
		t.Errorf("after DELETE: %+v", one)
	}
	for _, s := range e.d.Silences().List() {
		if s.ID == newID && s.ExpiredBy != "alertmanager-api" {
			t.Errorf("expiredBy %q", s.ExpiredBy)
		}
	}
	if code, _ := e.do("DELETE", "/api/v2/silence/nope", "", "ops"); code != http.StatusNotFound {
		t.Errorf("DELETE unknown: %d", code)
	}
	e.get("/api/v2/alerts?filter="+url.QueryEscape(`alertname="CPU"`), &alerts)
	if len(alerts) != 1 || alerts[0].Status.State != "active" || len(alerts[0].Status.SilencedBy) != 0 {
		t.Errorf("alert after expiry %+v", alerts)
	}
}

// amtool 0.31's client (go-openapi runtime 0.29) sends no Content-Type on
// a DELETE, which has no body: the handler accepts that, and still refuses
// a DELETE that names another type.
func TestAMDeleteWithoutContentType(t *testing.T) {
	e := newAMEnv(t)
	now := e.m.clk.Now()
	code, b := e.do("POST", "/api/v2/silences", amSilenceBody("", `[{"name":"alertname","value":"CPU","isRegex":false}]`,
		now, now.Add(time.Hour), "ana", "x"), "ops")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, b)
	}
	var created struct {
		SilenceID string `json:"silenceID"`
	}
	strictDecode(t, b, &created)
	del := func(ct string) int {
		req, _ := http.NewRequest("DELETE", e.srv.URL+amPrefix+"/api/v2/silence/"+created.SilenceID, nil)
		req.Header.Set("Authorization", "Bearer ops")
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := del("text/plain"); code != http.StatusUnsupportedMediaType {
		t.Errorf("DELETE with text/plain: %d, want 415", code)
	}
	if code := del(""); code != http.StatusOK {
		t.Errorf("DELETE without a content type: %d, want 200", code)
	}
	var one specSilence
	e.get("/api/v2/silence/"+created.SilenceID, &one)
	if one.Status.State != "expired" {
		t.Errorf("after DELETE: %+v", one)
	}
}

// A pending silence is listed as pending and mutes nothing yet.
func TestAMPendingSilence(t *testing.T) {
	e := newAMEnv(t)
	now := e.m.clk.Now()
	code, b := e.do("POST", "/api/v2/silences", amSilenceBody("", `[{"name":"alertname","value":"CPU","isRegex":false}]`,
		now.Add(time.Hour), now.Add(2*time.Hour), "ana", "tonight"), "ops")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, b)
	}
	var list []specSilence
	e.get("/api/v2/silences", &list)
	if len(list) != 1 || list[0].Status.State != "pending" {
		t.Fatalf("%+v", list)
	}
	var alerts []specAlert
	e.get("/api/v2/alerts?filter="+url.QueryEscape(`alertname="CPU"`), &alerts)
	if len(alerts) != 1 || alerts[0].Status.State != "active" {
		t.Errorf("%+v", alerts)
	}
	e.m.clk.Advance(time.Hour)
	e.get("/api/v2/alerts?filter="+url.QueryEscape(`alertname="CPU"`), &alerts)
	if len(alerts) != 1 || alerts[0].Status.State != "suppressed" || len(alerts[0].Status.SilencedBy) != 1 {
		t.Errorf("%+v", alerts)
	}
}

// Without an evaluator or dispatcher the routes still answer in shape.
func TestAMEmptyHandler(t *testing.T) {
	srv := httptest.NewServer(newHandler(t, nil, nil))
	defer srv.Close()
	for _, p := range []string{"/api/v2/alerts", "/api/v2/alerts/groups", "/api/v2/silences", "/api/v2/receivers"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "[]" {
			t.Errorf("%s: %d %s", p, resp.StatusCode, b)
		}
	}
}

func FuzzParseAMSilence(f *testing.F) {
	f.Add([]byte(`{"matchers":[{"name":"alertname","value":"CPU","isRegex":false,"isEqual":true}],"startsAt":"2026-03-02T10:00:00Z","endsAt":"2026-03-02T12:00:00Z","createdBy":"ana","comment":"x"}`))
	f.Add([]byte(`{"id":"abc","matchers":[{"name":"a","value":"b.*","isRegex":true,"isEqual":false}],"startsAt":"2026-03-02T10:00:00.000Z","endsAt":"2026-03-02T12:00:00.000Z","createdBy":"a","comment":"b"}`))
	f.Add([]byte(`{"matchers":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, s, err := parseAMSilence(body)
		if err != nil {
			if !errors.Is(err, errInvalidAMSilence) {
				t.Fatalf("error %v does not wrap errInvalidAMSilence", err)
			}
			return
		}
		if len(s.Matchers) == 0 || s.CreatedBy == "" || s.Comment == "" {
			t.Fatalf("accepted an incomplete silence %+v", s)
		}
		muting := false
		for _, m := range s.Matchers {
			if m == nil || m.Name == "" {
				t.Fatalf("accepted an empty matcher in %+v", s)
			}
			muting = muting || !(alerting.Matchers{m}).Matches(nil)
		}
		if !muting {
			t.Fatalf("accepted a silence of everything: %v", s.Matchers)
		}
	})
}

// semverRE is semver.org's regular expression for a valid version.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// The version /api/v2/status reports is what amtool accepts without its
// warning: valid semver ("v" + version must parse) whose major.minor is
// that of the Alertmanager API implemented, with igmon's own version as
// build metadata.
func TestAMStatusVersion(t *testing.T) {
	const mod = "github.com/jackcode/igmon"
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "devel"},
		{"igmon built itself from a working tree", &debug.BuildInfo{Main: debug.Module{Path: mod, Version: "(devel)"}}, "devel"},
		{"igmon built itself at a tag", &debug.BuildInfo{Main: debug.Module{Path: mod, Version: "v1.4.0"}}, "v1.4.0"},
		{"a service requiring a release", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino", Version: "(devel)"},
			Deps: []*debug.Module{{Path: "go.opentelemetry.io/otel", Version: "v1.47.0"}, {Path: mod, Version: "v1.4.0"}}}, "v1.4.0"},
		{"a pseudo-version", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino"},
			Deps: []*debug.Module{{Path: mod, Version: "v1.4.1-0.20261204183000-0123456789ab"}}}, "v1.4.1-0.20261204183000-0123456789ab"},
		{"replaced by a local directory", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino"},
			Deps: []*debug.Module{{Path: mod, Version: "v0.0.0-00010101000000-000000000000",
				Replace: &debug.Module{Path: "../igmon"}}}}, "devel"},
		{"replaced by a fork's release", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino"},
			Deps: []*debug.Module{{Path: mod, Version: "v1.4.0", Replace: &debug.Module{Path: "example.com/fork/igmon", Version: "v1.4.0-casino.1"}}}},
			"v1.4.0-casino.1"},
		{"incompatible", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino"},
			Deps: []*debug.Module{{Path: mod, Version: "v2.0.0+incompatible"}}}, "v2.0.0+incompatible"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildinfo.FromBuildInfo(tc.bi); got != tc.want {
				t.Errorf("igmon version %q, want %q", got, tc.want)
			}
			v := versionInfo(tc.bi).Version
			m := semverRE.FindStringSubmatch(v)
			if m == nil {
				t.Fatalf("version %q is not semver: amtool warns", v)
			}
			if m[1]+"."+m[2] != "0.31" || m[4] != "" {
				t.Errorf("version %q: amtool 0.31 warns unless the major.minor is 0.31, without a pre-release", v)
			}
			if !strings.HasPrefix(m[5], "igmon.") {
				t.Errorf("version %q does not name igmon's version", v)
			}
		})
	}
	vi := versionInfo(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/casino"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-04T18:00:00Z"}}})
	if vi.Version != "0.31.1+igmon.devel" || vi.Revision != "abc123" || vi.BuildDate != "2026-12-04T18:00:00Z" || vi.GoVersion != "go1.26.8" {
		t.Errorf("versionInfo %+v", vi)
	}

	e := newAMEnv(t)
	var st specStatus
	e.get("/api/v2/status", &st)
	if got := amVersionInfo(st.VersionInfo); got != igmonVersion() {
		t.Errorf("status versionInfo %+v, want %+v", got, igmonVersion())
	}
}
