package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

const (
	silenceJSON  = `{"matchers":[{"name":"alertname","op":"=","value":"PaymentProviderErrors"}],"duration":"1h","comment":"PSP incident INC-7","author":"dana"}`
	overrideJSON = `{"component":"stripe","status":"fail","reason":"PSP maintenance"}`
)

func TestActionsAuthorizationAndCSRF(t *testing.T) {
	auth := []string{"Authorization", "Bearer " + testToken, "Content-Type", "application/json"}
	with := func(extra ...string) []string { return append(append([]string{}, auth...), extra...) }
	tests := []struct {
		name          string
		noActions     bool
		noAuthorizer  bool
		method, path  string
		body          string
		hdr           []string
		code          int
		call          string // expected Actions call, "" for none
		logContains   string
		bodyContains  string
		bodyForbidden string
	}{
		{name: "create silence", method: "POST", path: "/api/silences", body: silenceJSON, hdr: auth, code: 200,
			call: "silence PSP incident INC-7", logContains: `"silence_id":"sil-42"`, bodyContains: `"id":"sil-42"`},
		{name: "expire silence", method: "DELETE", path: "/api/silences", body: `{"id":"sil-42"}`, hdr: auth, code: 200, call: "unsilence sil-42"},
		{name: "set override", method: "POST", path: "/api/overrides", body: overrideJSON, hdr: auth, code: 200, call: "override stripe fail PSP maintenance"},
		{name: "clear override", method: "DELETE", path: "/api/overrides", body: `{"component":"stripe","reason":"done"}`, hdr: auth, code: 200, call: "clear stripe done"},
		{name: "charset is fine", method: "POST", path: "/api/overrides", body: overrideJSON,
			hdr: []string{"Authorization", "Bearer " + testToken, "Content-Type", "application/json; charset=utf-8"}, code: 200, call: "override stripe fail PSP maintenance"},
		{name: "same-origin browser", method: "POST", path: "/api/overrides", body: overrideJSON, hdr: with("Sec-Fetch-Site", "same-origin"), code: 200, call: "override stripe fail PSP maintenance"},

		{name: "no token", method: "POST", path: "/api/overrides", body: overrideJSON, hdr: []string{"Content-Type", "application/json"}, code: 401, logContains: "not authorized"},
		{name: "wrong token", method: "POST", path: "/api/silences", body: silenceJSON, hdr: []string{"Authorization", "Bearer x", "Content-Type", "application/json"}, code: 401},
		{name: "no authorizer", noAuthorizer: true, method: "POST", path: "/api/overrides", body: overrideJSON, hdr: auth, code: 403},
		{name: "no actions", noActions: true, method: "POST", path: "/api/overrides", body: overrideJSON, hdr: auth, code: 501},
		{name: "form content type", method: "POST", path: "/api/overrides", body: overrideJSON,
			hdr: []string{"Authorization", "Bearer " + testToken, "Content-Type", "application/x-www-form-urlencoded"}, code: 415},
		{name: "text/plain (simple CORS request)", method: "POST", path: "/api/overrides", body: overrideJSON,
			hdr: []string{"Authorization", "Bearer " + testToken, "Content-Type", "text/plain"}, code: 415},
		{name: "cross-site fetch", method: "POST", path: "/api/overrides", body: overrideJSON, hdr: with("Sec-Fetch-Site", "cross-site"), code: 403, logContains: "cross-origin"},
		{name: "foreign origin", method: "DELETE", path: "/api/silences", body: `{"id":"x"}`, hdr: with("Origin", "https://evil.example"), code: 403},
		{name: "bad body", method: "POST", path: "/api/overrides", body: `{"component":"stripe","status":"warn","reason":"x"}`, hdr: auth, code: 400, bodyContains: "status"},
		{name: "unknown field", method: "POST", path: "/api/overrides", body: `{"component":"stripe","status":"fail","reason":"x","admin":true}`, hdr: auth, code: 400},
		{name: "too large", method: "POST", path: "/api/overrides", body: `{"component":"` + strings.Repeat("a", maxActionBody) + `"}`, hdr: auth, code: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acts := &fakeActions{}
			logger, logs := newLogger()
			opts := []Option{WithLogger(logger)}
			if !tt.noActions {
				opts = append(opts, WithActions(acts))
			}
			if !tt.noAuthorizer {
				opts = append(opts, WithAuthorizer(bearer))
			}
			h := mustNew(t, newPlatformSource(), opts...)
			rec := do(h, tt.method, tt.path, tt.body, tt.hdr...)
			if rec.Code != tt.code {
				t.Fatalf("got %d %s, want %d", rec.Code, rec.Body, tt.code)
			}
			calls := acts.Calls()
			if tt.call == "" && len(calls) != 0 {
				t.Fatalf("refused request reached Actions: %v", calls)
			}
			if tt.call != "" && (len(calls) != 1 || calls[0] != tt.call) {
				t.Fatalf("calls %v, want %q", calls, tt.call)
			}
			out := logs.String()
			if !strings.Contains(out, `"remote":"192.0.2.1:1234"`) || !strings.Contains(out, `"action":`) {
				t.Errorf("action not logged with the remote address: %s", out)
			}
			if tt.logContains != "" && !strings.Contains(out, tt.logContains) {
				t.Errorf("log lacks %s: %s", tt.logContains, out)
			}
			if tt.bodyContains != "" && !strings.Contains(rec.Body.String(), tt.bodyContains) {
				t.Errorf("body lacks %s: %s", tt.bodyContains, rec.Body)
			}
			if tt.code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestActionErrors(t *testing.T) {
	tests := []struct {
		err  error
		code int
	}{
		{fmt.Errorf("component stripe: %w", ErrNotFound), 404},
		{fmt.Errorf("bad matcher: %w", ErrInvalid), 400},
		{errors.New("store: dial postgres://u:hunter2@db/x"), 500},
	}
	for _, tt := range tests {
		acts := &fakeActions{err: tt.err}
		logger, logs := newLogger()
		h := mustNew(t, newPlatformSource(), WithActions(acts), WithAuthorizer(bearer), WithLogger(logger))
		rec := do(h, "POST", "/api/overrides", overrideJSON, "Authorization", "Bearer "+testToken, "Content-Type", "application/json")
		if rec.Code != tt.code {
			t.Errorf("%v: got %d, want %d", tt.err, rec.Code, tt.code)
		}
		if strings.Contains(rec.Body.String()+logs.String(), "hunter2") {
			t.Errorf("secret leaked: %s %s", rec.Body, logs)
		}
		if !strings.Contains(logs.String(), "dashboard action failed") {
			t.Errorf("failure not logged: %s", logs)
		}
	}
}

func TestActionRefreshesPublicSnapshot(t *testing.T) {
	src := newPlatformSource()
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	h := mustNew(t, src, withClock(clk), WithActions(&fakeActions{}), WithAuthorizer(bearer))
	do(h, "GET", "/status.json", "")
	do(h, "POST", "/api/overrides", overrideJSON, "Authorization", "Bearer "+testToken, "Content-Type", "application/json")
	do(h, "GET", "/status.json", "")
	if n := src.calls.Load(); n != 2 {
		t.Fatalf("an action must invalidate the shared snapshot: %d Source calls, want 2", n)
	}
}

func TestParseSilence(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	req, err := parseSilence([]byte(silenceJSON), now)
	if err != nil {
		t.Fatal(err)
	}
	if !req.StartsAt.Equal(now) || !req.EndsAt.Equal(now.Add(time.Hour)) || req.Author != "dana" || len(req.Matchers) != 1 {
		t.Fatalf("%+v", req)
	}
	bad := []struct{ name, body, want string }{
		{"no matchers", `{"matchers":[],"duration":"1h","comment":"c"}`, "matchers"},
		{"match everything", `{"matchers":[{"name":"alertname","op":"=~","value":".*"}],"duration":"1h","comment":"c"}`, "non-empty"},
		{"negative only", `{"matchers":[{"name":"a","op":"!=","value":"x"}],"duration":"1h","comment":"c"}`, "non-empty"},
		{"bad op", `{"matchers":[{"name":"a","op":"==","value":"x"}],"duration":"1h","comment":"c"}`, "op"},
		{"bad name", `{"matchers":[{"name":"1a","op":"=","value":"x"}],"duration":"1h","comment":"c"}`, "label name"},
		{"bad regexp", `{"matchers":[{"name":"a","op":"=~","value":"("}],"duration":"1h","comment":"c"}`, "value"},
		{"too short", `{"matchers":[{"name":"a","op":"=","value":"x"}],"duration":"1s","comment":"c"}`, "duration"},
		{"too long", `{"matchers":[{"name":"a","op":"=","value":"x"}],"duration":"9000h","comment":"c"}`, "duration"},
		{"no duration", `{"matchers":[{"name":"a","op":"=","value":"x"}],"comment":"c"}`, "duration"},
		{"no comment", `{"matchers":[{"name":"a","op":"=","value":"x"}],"duration":"1h"}`, "comment"},
		{"log forging", `{"matchers":[{"name":"a","op":"=","value":"x"}],"duration":"1h","comment":"ok\nlevel=ERROR fake"}`, "control"},
		{"trailing", silenceJSON + `{}`, "trailing"},
		{"not json", `matchers=a`, "invalid"},
	}
	for _, tt := range bad {
		_, err := parseSilence([]byte(tt.body), now)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want ErrInvalid mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestOverrideRoundTripsThroughJSON(t *testing.T) {
	b, _ := json.Marshal(overrideBody{Component: "stripe", Status: StatusPass, Reason: "r"})
	got, err := parseOverride(b)
	if err != nil || got.Status != StatusPass {
		t.Fatalf("%+v %v", got, err)
	}
	for _, body := range []string{`{"status":"fail","reason":"r"}`, `{"component":"x","status":"fail"}`, `{"component":"x","status":"unknown","reason":"r"}`} {
		if _, err := parseOverride([]byte(body)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s accepted", body)
		}
	}
	if _, err := parseClearOverride([]byte(`{"component":"x"}`)); !errors.Is(err, ErrInvalid) {
		t.Error("clear without a reason accepted")
	}
	if _, err := parseSilenceID([]byte(`{"id":""}`)); !errors.Is(err, ErrInvalid) {
		t.Error("empty silence id accepted")
	}
}

var _ http.Handler = (*Handler)(nil)
