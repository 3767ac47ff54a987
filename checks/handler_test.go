package checks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	igname "github.com/jackcode/igmon/internal/name"
)

const secretErr = "dial postgres://wallet:Sup3rS3cret@10.0.0.5:5432/wallet: connection refused (password=Sup3rS3cret)"

func handlerFixture(t *testing.T, opts ...HandlerOption) (*Registry, http.Handler) {
	t.Helper()
	r := newTestRegistry(t)
	mustRegister(t, r, "ping", pass, WithEndpoints(Liveness|Readiness))
	mustRegister(t, r, "postgres", func(ctx context.Context) error {
		Detail(ctx, "pool", "in_use=3 idle=2")
		return errors.New(secretErr)
	}, WithComponentType(componentDatastore))
	mustRegister(t, r, "stripe", func(ctx context.Context) error {
		Observe(ctx, "responseTime", 812.5, "ms")
		return Warn(errors.New("p95 latency 812ms above 800ms"))
	}, WithComponentType(componentPaymentProvider))
	mustRegister(t, r, "warmup", pass, WithEndpoints(Startup))
	return r, r.Handler(append([]HandlerOption{WithServiceInfo(ServiceInfo{ServiceID: "wallet", Version: "1.4.2", Description: "wallet API"})}, opts...)...)
}

func do(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerPlain(t *testing.T) {
	_, h := handlerFixture(t)
	tests := []struct {
		name, method, target string
		code                 int
		body                 []string // substrings, in order
		notBody              []string
	}{
		{"livez ok", "GET", "/livez", 200, []string{"ok"}, nil},
		{"startupz ok", "GET", "/startupz", 200, []string{"ok"}, nil},
		{"readyz fails", "GET", "/readyz", 503, []string{"[+]ping ok", "[-]postgres failed: reason withheld", "[!]stripe warn: reason withheld", "readyz check failed"}, []string{"Sup3r", "10.0.0.5"}},
		{"verbose livez", "GET", "/livez?verbose", 200, []string{"[+]ping ok", "livez check passed"}, []string{"postgres"}},
		{"healthz has all", "GET", "/healthz?verbose", 503, []string{"[+]ping ok", "[-]postgres failed", "[!]stripe warn", "[+]warmup ok", "healthz check failed"}, nil},
		{"exclude", "GET", "/readyz?verbose&exclude=postgres", 200, []string{"[+]ping ok", "[!]stripe warn", "[+]postgres excluded: ok", "readyz check passed"}, nil},
		{"exclude repeated", "GET", "/readyz?exclude=postgres&exclude=stripe", 200, []string{"ok"}, nil},
		{"exclude unknown", "GET", "/readyz?verbose&exclude=postgres&exclude=nope", 200, []string{`no matches for "nope"`}, nil},
		{"one check ok", "GET", "/readyz/ping", 200, []string{"ok"}, nil},
		{"one check failed", "GET", "/readyz/postgres", 503, []string{"failed: reason withheld"}, []string{"Sup3r"}},
		{"one check warn", "GET", "/readyz/stripe", 200, []string{"warn: reason withheld"}, nil},
		{"check not on endpoint", "GET", "/livez/postgres", 404, nil, nil},
		{"unknown check", "GET", "/readyz/nope", 404, nil, nil},
		{"unknown path", "GET", "/metrics", 404, nil, nil},
		{"prefix mount", "GET", "/internal/health/livez", 200, []string{"ok"}, nil},
		{"trailing slash", "GET", "/livez/", 200, []string{"ok"}, nil},
		{"healthz one", "GET", "/healthz/warmup", 200, []string{"ok"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, tt.method, tt.target)
			if rec.Code != tt.code {
				t.Fatalf("code %d, want %d; body:\n%s", rec.Code, tt.code, rec.Body)
			}
			body := rec.Body.String()
			at := 0
			for _, s := range tt.body {
				i := strings.Index(body[at:], s)
				if i < 0 {
					t.Fatalf("body lacks %q (in order):\n%s", s, body)
				}
				at += i
			}
			for _, s := range tt.notBody {
				if strings.Contains(body, s) {
					t.Fatalf("body leaks %q:\n%s", s, body)
				}
			}
			if tt.code != 404 {
				if got := rec.Header().Get("Content-Type"); got != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type %q", got)
				}
				if got := rec.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control %q", got)
				}
			}
		})
	}
}

// TestHandlerAnswersHEADAndRefusesOtherMethods: HEAD gets GET's status
// and headers without a body; POST, PUT, DELETE and PATCH get 405 with
// Allow: GET, HEAD.
func TestHandlerAnswersHEADAndRefusesOtherMethods(t *testing.T) {
	_, h := handlerFixture(t)
	rec := do(h, http.MethodHead, "/livez")
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") == "" {
		t.Fatalf("HEAD /livez: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	rec = do(h, http.MethodHead, "/readyz")
	if rec.Code != 503 || rec.Body.Len() != 0 {
		t.Fatalf("HEAD /readyz: %d %q", rec.Code, rec.Body)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		rec := do(h, m, "/readyz")
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d Allow=%q", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
}

// TestHandlerContentTypeBeforeStatus uses a real server: a header set after
// WriteHeader would be lost on the wire, which a recorder does not show.
func TestHandlerContentTypeBeforeStatus(t *testing.T) {
	_, h := handlerFixture(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct{ path, accept, ct string }{
		{"/readyz", "", "text/plain; charset=utf-8"},
		{"/readyz", "application/health+json", "application/health+json"},
		{"/livez?format=json", "", "application/health+json"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Type"); got != tc.ct {
			t.Errorf("%s accept=%q: Content-Type %q, want %q", tc.path, tc.accept, got, tc.ct)
		}
	}
}

type healthDoc struct {
	Status      string                              `json:"status"`
	Version     string                              `json:"version"`
	ServiceID   string                              `json:"serviceId"`
	Description string                              `json:"description"`
	Notes       []string                            `json:"notes"`
	Checks      map[string][]map[string]interface{} `json:"checks"`
}

func TestHealthJSON(t *testing.T) {
	token := "s3cret-token"
	_, h := handlerFixture(t, WithAuthorizer(BearerToken(token)))

	rec := do(h, "GET", "/readyz", "Accept", "application/health+json")
	if rec.Code != 503 {
		t.Fatalf("code %d", rec.Code)
	}
	var doc healthDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, rec.Body)
	}
	if doc.Status != "fail" || doc.Version != "1.4.2" || doc.ServiceID != "wallet" || doc.Description != "wallet API" {
		t.Fatalf("top level: %+v", doc)
	}
	pg := doc.Checks["postgres:responseTime"]
	if len(pg) != 1 || pg[0]["componentType"] != "datastore" || pg[0]["status"] != "fail" || pg[0]["componentId"] != "postgres" {
		t.Fatalf("postgres entry: %v", doc.Checks)
	}
	if _, err := time.Parse(time.RFC3339Nano, pg[0]["time"].(string)); err != nil {
		t.Fatalf("time: %v", err)
	}
	// Unauthenticated: no output, no observed values, no details.
	for _, k := range []string{"output", "observedValue", "details"} {
		if _, ok := pg[0][k]; ok {
			t.Errorf("unauthenticated response has %q", k)
		}
	}
	if strings.Contains(rec.Body.String(), "Sup3r") || strings.Contains(rec.Body.String(), "10.0.0.5") {
		t.Fatalf("leak: %s", rec.Body)
	}

	// Authorized: details, redacted.
	rec = do(h, "GET", "/readyz?format=json", "Authorization", "Bearer "+token)
	body := rec.Body.String()
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	pg = doc.Checks["postgres:responseTime"]
	out, _ := pg[0]["output"].(string)
	if !strings.Contains(out, "connection refused") || strings.Contains(body, "Sup3rS3cret") {
		t.Fatalf("authorized output must be redacted but present: %q", out)
	}
	if pg[0]["details"].(map[string]any)["pool"] != "in_use=3 idle=2" {
		t.Fatalf("details: %v", pg[0]["details"])
	}
	st := doc.Checks["stripe:responseTime"]
	if len(st) != 1 || st[0]["status"] != "warn" || st[0]["observedValue"] != 812.5 || st[0]["observedUnit"] != "ms" {
		t.Fatalf("stripe: %v", st)
	}

	// pass and warn map to 200.
	rec = do(h, "GET", "/readyz?format=json&exclude=postgres")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"warn"`) {
		t.Fatalf("warn: %d %s", rec.Code, rec.Body)
	}
	// A wrong token is just unauthenticated.
	rec = do(h, "GET", "/readyz?verbose", "Authorization", "Bearer nope")
	if strings.Contains(rec.Body.String(), "connection refused") {
		t.Fatal("wrong token saw details")
	}
}

func TestVerboseDetailsAreRedacted(t *testing.T) {
	r, h := handlerFixture(t, WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("X-Admin") == "1" }))
	if err := r.Override("ping", StatusFail, "maintenance, ticket OPS-1 token=abc123", "ops"); err != nil {
		t.Fatal(err)
	}
	rec := do(h, "GET", "/readyz?verbose", "X-Admin", "1")
	body := rec.Body.String()
	for _, want := range []string{"[-]postgres failed: dial postgres://REDACTED@10.0.0.5:5432/wallet: connection refused (password=REDACTED", "[-]ping failed: out of service by operator override (override: maintenance, ticket OPS-1 token=REDACTED)"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	if strings.Contains(body, "Sup3r") || strings.Contains(body, "abc123") {
		t.Fatalf("secret leaked:\n%s", body)
	}
	// Without the header: withheld.
	if body := do(h, "GET", "/readyz?verbose").Body.String(); strings.Contains(body, "maintenance") || strings.Contains(body, "refused") {
		t.Fatalf("details shown without authorization:\n%s", body)
	}
}

func TestBearerToken(t *testing.T) {
	a := BearerToken("tok")
	tests := []struct {
		hdr  string
		want bool
	}{
		{"Bearer tok", true}, {"bearer tok", true}, {"Bearer tok2", false}, {"Bearer ", false},
		{"Basic tok", false}, {"", false}, {"tok", false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		if tt.hdr != "" {
			req.Header.Set("Authorization", tt.hdr)
		}
		if got := a(req); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.hdr, got, tt.want)
		}
	}
	if BearerToken("")(httptest.NewRequest("GET", "/", nil)) {
		t.Error("empty token admitted")
	}
}

func FuzzHandlerRequest(f *testing.F) {
	r, err := NewRegistry(WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		f.Fatal(err)
	}
	_ = r.Register("db", func(context.Context) error { return errors.New("password=x") })
	_ = r.Register("ok", pass, WithEndpoints(allEndpoints))
	h := r.Handler()
	for _, s := range []string{"/readyz?verbose&exclude=db", "/livez/ok", "/healthz?format=json", "/readyz/<script>", "/x/readyz/db/extra", "/readyz?exclude=%0a%0d"} {
		f.Add(s, "GET", "")
	}
	f.Add("/healthz", "HEAD", "application/health+json")
	f.Fuzz(func(t *testing.T, target, method, accept string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := http.NewRequest(method, "http://x"+target, nil)
		if err != nil {
			return
		}
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 503, 404, 405:
		default:
			t.Fatalf("unexpected code %d", rec.Code)
		}
		if strings.Contains(rec.Body.String(), "password=x") {
			t.Fatal("error text leaked to an unauthenticated caller")
		}
		if strings.Contains(rec.Body.String(), "<script>") {
			t.Fatal("request text reflected unescaped")
		}
	})
}

// TestNeverRunCheckIsNotReady: a check without a result fails readiness.
// A request runs a check that never ran; when the caller gives up before
// that first run ends, the check is still unknown and the answer 503.
func TestNeverRunCheckIsNotReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		r := newTestRegistry(t)
		mustRegister(t, r, "ledger", func(context.Context) error { <-release; return nil }, WithTimeout(time.Hour))
		h := r.Handler()
		for _, method := range []string{"GET", "HEAD"} {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, method, "/readyz", nil))
			cancel()
			if rec.Code != 503 || method == "GET" && !strings.Contains(rec.Body.String(), "[-]ledger failed") {
				t.Fatalf("%s: a check that never ran must fail readiness: %d\n%s", method, rec.Code, rec.Body)
			}
		}
		if res, _ := r.Result("ledger"); res.Status != StatusUnknown || !errors.Is(res.Err, errNotRun) {
			t.Fatalf("result %v %v, want unknown errNotRun", res.Status, res.Err)
		}
	})
}

// TestHandlerCheckNamesLikeEndpoints: a check may be named like an endpoint;
// /readyz/<that name> must answer for the check, not for the endpoint.
func TestHandlerCheckNamesLikeEndpoints(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, "livez", func(context.Context) error { return errors.New("down") })
	mustRegister(t, r, "ping", pass, WithEndpoints(Liveness|Readiness))
	h := r.Handler()
	for _, tc := range []struct {
		target string
		code   int
		body   string
	}{
		{"/readyz/livez", 503, "failed: reason withheld"}, // the check, not /livez
		{"/livez", 200, "ok"},
		{"/healthz/livez", 503, "failed"},
		{"/readyz", 503, "[-]livez failed"},
	} {
		rec := do(h, "GET", tc.target)
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.target, rec.Code, rec.Body, tc.code, tc.body)
		}
	}
	// Without such a check, /<endpoint>/<endpoint> is the inner endpoint of
	// a handler mounted under a prefix of that name.
	r2 := newTestRegistry(t)
	mustRegister(t, r2, "ping", pass, WithEndpoints(Liveness))
	if rec := do(r2.Handler(), "GET", "/readyz/livez"); rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("/readyz/livez without a check named livez: %d %q", rec.Code, rec.Body)
	}
}

// TestHandlerOddCheckNames: every name the name rule accepts is reachable at
// /readyz/<name>, and names it rejects cannot be registered.
func TestHandlerOddCheckNames(t *testing.T) {
	r := newTestRegistry(t)
	names := []string{"db.primary", "A_b-C.9", "-", "_", "...", strings.Repeat("x", igname.MaxLen)}
	for _, n := range names {
		mustRegister(t, r, n, pass)
	}
	h := r.Handler()
	for _, n := range names {
		if rec := do(h, "GET", "/readyz/"+n); rec.Code != 200 || rec.Body.String() != "ok" {
			t.Errorf("/readyz/%s: %d %q", n, rec.Code, rec.Body)
		}
		if rec := do(h, "HEAD", "/readyz/"+n); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Errorf("HEAD /readyz/%s: %d %q", n, rec.Code, rec.Body)
		}
	}
	for _, bad := range []string{".", "..", "a/b", "a b", "é", "a:b", "a%2Fb", "a\nb"} {
		if err := r.Register(bad, pass); err == nil {
			t.Errorf("Register(%q) accepted a name that is not a safe path segment", bad)
		}
	}
	for _, target := range []string{"/readyz/..", "/readyz/%2e%2e", "/readyz/a%2Fb", "/readyz/%00"} {
		if rec := do(h, "GET", target); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", target, rec.Code)
		}
	}
}

// TestHandlerVerboseAndExcludeSemantics pins the Kubernetes contract
// details that probes and humans rely on.
func TestHandlerVerboseAndExcludeSemantics(t *testing.T) {
	_, h := handlerFixture(t)
	for _, tc := range []struct {
		target string
		code   int
		body   string // exact
	}{
		// ?verbose is a presence flag, whatever its value.
		{"/livez?verbose=false", 200, "[+]ping ok\nlivez check passed\n"},
		{"/livez?verbose=0&format=text", 200, "[+]ping ok\nlivez check passed\n"},
		// Excluding every failing check makes readiness pass, and the
		// plain answer stays "ok".
		{"/readyz?exclude=postgres", 200, "ok"},
		// The exclusion is per request: the next plain probe fails again.
		{"/readyz", 503, "[+]ping ok\n[-]postgres failed: reason withheld\n[!]stripe warn: reason withheld\nreadyz check failed\n"},
		// An excluded name that matches nothing is reported, quoted and
		// with control characters neutralised.
		{"/readyz?verbose&exclude=postgres&exclude=a%0Ab%22", 200, "[+]ping ok\n[!]stripe warn: reason withheld\n[+]postgres excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"a?b?\"\nreadyz check passed\n"},
		// Excluding from /livez a check that only affects readiness is
		// not "unknown": the name exists.
		{"/livez?verbose&exclude=postgres", 200, "[+]ping ok\nlivez check passed\n"},
	} {
		rec := do(h, "GET", tc.target)
		if rec.Code != tc.code || rec.Body.String() != tc.body {
			t.Errorf("%s: %d\n%s\nwant %d\n%s", tc.target, rec.Code, rec.Body, tc.code, tc.body)
		}
	}
}

// TestHandlerHungCheckOnItsOwnPath: /readyz/<check> answers for a check
// that ignores its context within the check's timeout, on a real server,
// for GET and HEAD.
func TestHandlerHungCheckOnItsOwnPath(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := newTestRegistry(t)
	mustRegister(t, r, "psp", func(context.Context) error { <-release; return nil },
		WithTimeout(50*time.Millisecond), WithOnRequest(time.Hour))
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	client := srv.Client()
	client.Timeout = 30 * time.Second // "forever" compared with 50ms; a hang fails the test
	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, srv.URL+"/readyz/psp", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 {
			t.Fatalf("%s /readyz/psp for a hung check: %d, want 503", method, resp.StatusCode)
		}
	}
}

// TestHealthJSONKeysHaveOneColon: the draft forbids ':' inside either half
// of "component:measurement"; a measurement passed to Observe may hold one.
func TestHealthJSONKeysHaveOneColon(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, "psp", func(ctx context.Context) error {
		Observe(ctx, "latency:p95", 12, "ms")
		return nil
	})
	rec := do(r.Handler(), "GET", "/readyz", "Accept", "application/health+json")
	var doc healthDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for k := range doc.Checks {
		if strings.Count(k, ":") != 1 {
			t.Fatalf("key %q", k)
		}
	}
	if _, ok := doc.Checks["psp:latency_p95"]; !ok {
		t.Fatalf("keys %v", doc.Checks)
	}
}
