package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/clock"
)

// silenceChange is what internal/alerthook.SubscribeSilences reports.
type silenceChange struct {
	Created bool
	Silence dispatch.Silence
	Time    time.Time
}

// changeLog collects what a silence set reports.
type changeLog struct {
	mu  sync.Mutex
	got []silenceChange
}

func (l *changeLog) add(created bool, s any, at time.Time) {
	l.mu.Lock()
	l.got = append(l.got, silenceChange{created, s.(dispatch.Silence), at})
	l.mu.Unlock()
}

func (l *changeLog) take() []silenceChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

// Every change reaches the listeners, whether it came over HTTP or from Go
// code, so that an audit trail fed by internal/alerthook.SubscribeSilences (the
// Monitor's event log) has no blind path.
func TestSilenceSubscribeSeesEveryPath(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 20, 0, 0, 0, time.UTC)
	fc := clock.NewFake(t0)
	d := newDispatcher(t, fc)
	sil := d.Silences()
	var log changeLog
	unsubscribe := alerthook.SubscribeSilences(sil, log.add)
	auth := func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer ops" {
			return errors.New("no")
		}
		return nil
	}
	srv := httptest.NewServer(http.StripPrefix("/alerting", newHandler(t, nil, d, WithAuthorizer(auth))))
	defer srv.Close()
	do := func(method, path, body, token string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json") // writes need it; reads ignore it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	body := `{"matchers":["team=\"payments\""],"duration":"2h","createdBy":"ana","comment":"PSP migration"}`
	// Refused and invalid requests change nothing and report nothing.
	if code := do("POST", "/alerting/silences", body, ""); code != http.StatusForbidden {
		t.Fatalf("unauthorized POST: %d", code)
	}
	if code := do("POST", "/alerting/silences", `{"matchers":["team=\"payments\""],"duration":"2h","createdBy":"ana"}`, "ops"); code != http.StatusBadRequest {
		t.Fatalf("POST without comment: %d", code)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("changes reported for refused requests: %+v", got)
	}

	if code := do("POST", "/alerting/silences", body, "ops"); code != http.StatusCreated {
		t.Fatalf("POST: %d", code)
	}
	got := log.take()
	if len(got) != 1 {
		t.Fatalf("changes after POST: %+v", got)
	}
	c := got[0]
	if !c.Created || c.Silence.ID == "" || c.Silence.CreatedBy != "ana" ||
		c.Silence.Comment != "PSP migration" || !c.Time.Equal(t0) || !c.Silence.EndsAt.Equal(t0.Add(2*time.Hour)) ||
		len(c.Silence.Matchers) != 1 || c.Silence.Matchers[0].String() != `team="payments"` {
		t.Fatalf("created change %+v", c)
	}
	id := c.Silence.ID

	fc.Advance(10 * time.Minute)
	if code := do("DELETE", "/alerting/silences/"+id+"?by=bob", "", "ops"); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	got = log.take()
	if len(got) != 1 || got[0].Created || got[0].Silence.ID != id || got[0].Silence.ExpiredBy != "bob" ||
		got[0].Silence.CreatedBy != "ana" || !got[0].Time.Equal(t0.Add(10*time.Minute)) || !got[0].Silence.EndsAt.Equal(got[0].Time) {
		t.Fatalf("expired change %+v", got)
	}
	// Expiring it again is a no-op: nothing to report.
	if code := do("DELETE", "/alerting/silences/"+id+"?by=bob", "", "ops"); code != http.StatusNoContent {
		t.Fatalf("second DELETE: %d", code)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("second expiry reported: %+v", got)
	}

	// Go callers go through the same hook.
	m, err := alerting.NewMatcher(alerting.MatchEqual, "alertname", "CPU")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := sil.Add(dispatch.Silence{Matchers: alerting.Matchers{m}, EndsAt: fc.Now().Add(time.Hour), CreatedBy: "cron", Comment: "nightly batch"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sil.Expire(id2, "cron"); err != nil {
		t.Fatal(err)
	}
	got = log.take()
	if len(got) != 2 || !got[0].Created || got[1].Created || got[1].Silence.ID != id2 {
		t.Fatalf("changes from Go calls %+v", got)
	}

	// After unsubscribing, nothing more arrives.
	unsubscribe()
	if code := do("POST", "/alerting/silences", body, "ops"); code != http.StatusCreated {
		t.Fatalf("POST: %d", code)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("change after unsubscribe: %+v", got)
	}
}

func TestHandlerAcceptsAlertmanagerMatchers(t *testing.T) {
	clk := clock.NewFake(t0)
	d := newDispatcher(t, clk)
	sil := d.Silences()
	h := newHandler(t, nil, d, WithAuthorizer(func(*http.Request) error { return nil }))
	post := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/silences", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		return rec
	}
	// An Alertmanager API v2 postable silence, as amtool or a script sends it.
	rec := post(`{"matchers":[{"name":"alertname","value":"PSP.*","isRegex":true},
		{"name":"team","value":"games","isRegex":false,"isEqual":false},
		"severity=page"],
		"startsAt":"2026-03-02T10:00:00Z","endsAt":"2026-03-02T12:00:00Z","createdBy":"ana","comment":"cutover"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	l := sil.List()
	if len(l) != 1 || l[0].Matchers.String() != `{alertname=~"PSP.*", team!="games", severity="page"}` {
		t.Fatalf("stored %+v", l)
	}
	if !alerthook.Muted(sil, alerting.Labels{"alertname": "PSPDown", "team": "payments", "severity": "page"}, t0) {
		t.Error("API silence does not mute")
	}
	for _, bad := range []string{
		`{"matchers":[{"name":"","value":"x"}],"duration":"1h","createdBy":"a","comment":"c"}`,
		`{"matchers":[{"name":"a","value":"(","isRegex":true}],"duration":"1h","createdBy":"a","comment":"c"}`,
		`{"matchers":[{"name":"a","valeu":"x"}],"duration":"1h","createdBy":"a","comment":"c"}`,
		`{"matchers":[42],"duration":"1h","createdBy":"a","comment":"c"}`,
	} {
		rec := post(bad)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "matchers[0]") {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
	// A duration too large for time.Duration is refused, not wrapped
	// into a silence that ends in the past.
	rec = post(`{"matchers":["a=b"],"duration":"99999999999999d","createdBy":"a","comment":"c"}`)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "duration") {
		t.Errorf("huge duration: %d %s", rec.Code, rec.Body)
	}
}

// Every write endpoint of the alerts API refuses bad text with a 400 that
// names the field, including what the JSON decoder would silently turn
// into U+FFFD: invalid UTF-8 bytes and escaped lone surrogates.
func TestSilenceWriteEndpointsRefuseBadText(t *testing.T) {
	e := newAMEnv(t)
	now := e.m.clk.Now()
	native := func(matcher, by, comment string) string {
		return `{"matchers":["` + matcher + `"],"duration":"1h","createdBy":"` + by + `","comment":"` + comment + `"}`
	}
	am := func(value, by, comment string) string {
		return `{"matchers":[{"name":"team","value":"` + value + `","isRegex":false}],"startsAt":"` + now.Format(time.RFC3339) +
			`","endsAt":"` + now.Add(time.Hour).Format(time.RFC3339) + `","createdBy":"` + by + `","comment":"` + comment + `"}`
	}
	for _, c := range []struct {
		name, path, body, field string
	}{
		{"raw invalid UTF-8", "/silences", native(`team=payments`, "ana", "PSP \xff maintenance"), "comment"},
		{"escaped control character", "/silences", native(`team=payments`, `ana\u0007`, "x"), "createdBy"},
		{"escaped lone surrogate", "/silences", native(`team=\"\ud800\"`, "ana", "x"), "matchers[0]"},
		{"escaped newline", "/silences", native(`team=payments`, "ana", `line\nforged`), "comment"},
		{"long comment", "/silences", native(`team=payments`, "ana", strings.Repeat("x", 1025)), "comment"},
		{"AM raw invalid UTF-8", "/api/v2/silences", am("pay\xc3ments", "ana", "x"), "matchers[0].value"},
		{"AM escaped lone surrogate", "/api/v2/silences", am("payments", "ana", `\udc00`), "comment"},
		{"AM escaped escape", "/api/v2/silences", am("payments", `ana\u001b[31m`, "x"), "createdBy"},
		{"AM long value", "/api/v2/silences", am(strings.Repeat("v", 257), "ana", "x"), "matchers[0].value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, b := e.do("POST", c.path, c.body, opsToken)
			msg := string(b)
			if strings.HasPrefix(c.path, "/api/v2") {
				json.Unmarshal(b, &msg)
			} else {
				var m map[string]string
				json.Unmarshal(b, &m)
				msg = m["error"]
			}
			if code != http.StatusBadRequest || !strings.Contains(msg, c.field+": ") {
				t.Errorf("%d %s, want 400 naming %s", code, b, c.field)
			}
		})
	}
	if n := len(e.d.Silences().List()); n != 0 {
		t.Fatalf("%d silences stored from bad requests", n)
	}
	// A U+FFFD sent on purpose, raw or escaped, is text like any other.
	for _, body := range []string{native(`team=payments`, "ana", "\uFFFD"), am("payments", "ana", `\uFFFD and \ufffd`)} {
		path := "/silences"
		if strings.Contains(body, "startsAt") {
			path = "/api/v2/silences"
		}
		if code, b := e.do("POST", path, body, opsToken); code >= 300 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
	}
	id := e.d.Silences().List()[0].ID
	for _, c := range []struct{ path, query string }{
		{"/silences/" + id, "?by=bob%FF"},
		{"/silences/" + id, "?by=bob%0Aforged"},
		{"/api/v2/silence/" + id, "?by=%1B"},
	} {
		if code, b := e.do("DELETE", c.path+c.query, "", opsToken); code != http.StatusBadRequest || !strings.Contains(string(b), "by: ") {
			t.Errorf("DELETE %s%s: %d %s, want 400 naming by", c.path, c.query, code, b)
		}
	}
	for _, s := range e.d.Silences().List() {
		if s.ExpiredBy != "" {
			t.Errorf("silence expired by %q", s.ExpiredBy)
		}
	}
}

// FuzzSilenceBodyText: a body the write check lets through decodes to
// text with no U+FFFD the sender did not write.
func FuzzSilenceBodyText(f *testing.F) {
	for _, s := range []string{`{"comment":"x\ud800"}`, "{\"a\":[\"\xff\"]}", `{"a":"\\ud800"}`, `{"a":"\ufffd"}`, "{\"\xfe\":1}", `[1,{"b":["c","\udfff"]}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		field, bad := badTextField(body)
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		var found bool
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				found = found || strings.ContainsRune(v, utf8.RuneError)
			case []any:
				for _, x := range v {
					walk(x)
				}
			case map[string]any:
				for k, x := range v {
					walk(k)
					walk(x)
				}
			}
		}
		walk(v)
		spelled := strings.Contains(strings.ToLower(string(body)), `\ufffd`) || strings.ContainsRune(string(body), utf8.RuneError) && utf8.Valid(body)
		if found && !spelled && !bad {
			t.Fatalf("%q decodes to U+FFFD but was let through", body)
		}
		if !found && bad {
			t.Fatalf("%q refused (%s) but decodes without U+FFFD", body, field)
		}
	})
}
