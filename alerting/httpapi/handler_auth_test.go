package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// What the fixture (newAMEnv plus seedSilences) holds that only callers
// the authorizer admits may read. Each is a distinctive string, so finding
// it anywhere in a body is a leak.
const (
	// A description quoting a DSN: operators see it with the password
	// redacted, nobody sees the password.
	secretDescription = "replica lag on shard-7734 (postgres://admin:hunter2@replica:5432)"
	descriptionMarker = "shard-7734"
	leakedPassword    = "hunter2"
	// Evidence as the Monitor writes it: check error text.
	secretEvidence  = "wallet-db failing since 09:58: dial tcp 10.9.8.7:5432: connection refused"
	evidenceMarker  = "10.9.8.7:5432"
	secretComment   = "failover to shard-9911 while the PSP rotates keys"
	commentMarker   = "shard-9911"
	secretAuthor    = "ana-oncall"
	secretExpirer   = "bob-oncall"
	opsToken        = "ops" // admitted by newAMEnv's authorizer
	crossSiteOrigin = "https://evil.example"
)

// authFixture is newAMEnv (firing alerts with a secret description and
// evidence, in dispatcher groups) plus an active silence and an expired
// one carrying secrets.
type authFixture struct {
	*amEnv
	activeID, expiredID string
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	f := &authFixture{amEnv: newAMEnv(t)}
	sil := f.d.Silences()
	now := f.m.clk.Now()
	var err error
	f.activeID, err = sil.Add(dispatch.Silence{Matchers: mustMatchers(t, `alertname="CPU"`), StartsAt: now, EndsAt: now.Add(time.Hour),
		CreatedBy: secretAuthor, Comment: secretComment})
	if err != nil {
		t.Fatal(err)
	}
	f.expiredID, err = sil.Add(dispatch.Silence{Matchers: mustMatchers(t, `alertname="Memory"`), StartsAt: now, EndsAt: now.Add(time.Hour),
		CreatedBy: secretAuthor, Comment: secretComment})
	if err != nil {
		t.Fatal(err)
	}
	if err := sil.Expire(f.expiredID, secretExpirer); err != nil {
		t.Fatal(err)
	}
	return f
}

// handlerRoutes lists the handler's routes from the one place NewHandler
// reads them, so a route added there is covered here without editing the
// tests.
func handlerRoutes(want func(route) bool) []route {
	var out []route
	for _, rt := range (&handler{}).routes() {
		if want(rt) {
			out = append(out, rt)
		}
	}
	return out
}

func isRead(rt route) bool  { return rt.read != nil }
func isWrite(rt route) bool { return rt.write != nil }

var pathWildcard = regexp.MustCompile(`\{[^}]*\}`)

// concrete turns a route pattern into a request path: {$} ends the path,
// and every other wildcard is a silence ID (the only kind of ID the
// handler's paths carry).
func concrete(pattern, id string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	return pathWildcard.ReplaceAllString(p, id)
}

// send makes a request with the given headers against the fixture's
// server and returns the status code and body.
func (f *authFixture) send(method, path, body string, hdr map[string]string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+amPrefix+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (f *authFixture) read(rt route, token string) string {
	f.t.Helper()
	hdr := map[string]string{}
	if token != "" {
		hdr["Authorization"] = "Bearer " + token
	}
	code, body := f.send(rt.method, concrete(rt.path, f.activeID), "", hdr)
	if code != http.StatusOK {
		f.t.Fatalf("%s %s: %d %s", rt.method, rt.path, code, body)
	}
	return body
}

// Routes that must carry the seeded alerts or silences, so the checks
// below cannot pass on empty answers.
var (
	routesWithAlerts   = []string{"/{$}", "/alerts", "/api/v2/alerts", "/api/v2/alerts/groups"}
	routesWithSilences = []string{"/{$}", "/silences", "/api/v2/silences", "/api/v2/silence/{silenceID}"}
)

func TestEveryReadRouteWithholdsDetailsFromAnonymousCallers(t *testing.T) {
	f := newAuthFixture(t)
	for _, rt := range handlerRoutes(isRead) {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			for _, caller := range []struct{ name, token string }{{"anonymous", ""}, {"refused token", "guest"}} {
				body := f.read(rt, caller.token)
				for _, secret := range []string{descriptionMarker, leakedPassword, evidenceMarker, "connection refused",
					commentMarker, secretAuthor, secretExpirer} {
					if strings.Contains(body, secret) {
						t.Errorf("%s caller sees %q: %s", caller.name, secret, body)
					}
				}
				if slices.Contains(routesWithAlerts, rt.path) && !strings.Contains(body, `"summary":"CPU high"`) {
					t.Errorf("%s caller lacks the public summary: %s", caller.name, body)
				}
				if slices.Contains(routesWithSilences, rt.path) && !strings.Contains(body, f.activeID) {
					t.Errorf("%s caller lacks the silence itself: %s", caller.name, body)
				}
			}
		})
	}
}

func TestEveryReadRouteShowsDetailsToAdmittedCallers(t *testing.T) {
	f := newAuthFixture(t)
	for _, rt := range handlerRoutes(isRead) {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			anon, body := f.read(rt, ""), f.read(rt, opsToken)
			// Wherever a route shows alert annotations or silence
			// comments at all, operators get them in full.
			if slices.Contains(routesWithAlerts, rt.path) || strings.Contains(anon, `"annotations"`) {
				for _, want := range []string{descriptionMarker, evidenceMarker, "connection refused"} {
					if !strings.Contains(body, want) {
						t.Errorf("operator does not see %q: %s", want, body)
					}
				}
			}
			if slices.Contains(routesWithSilences, rt.path) || strings.Contains(anon, `"comment"`) {
				for _, want := range []string{commentMarker, secretAuthor} {
					if !strings.Contains(body, want) {
						t.Errorf("operator does not see %q: %s", want, body)
					}
				}
			}
			if strings.Contains(body, leakedPassword) {
				t.Errorf("operator sees a credential unredacted: %s", body)
			}
		})
	}
	// The native listing also says who expired a silence.
	if body := f.read(route{method: "GET", path: "/silences"}, opsToken); !strings.Contains(body, secretExpirer) {
		t.Errorf("operator does not see who expired a silence: %s", body)
	}
}

// exampleWrite is a request each write route accepts from an operator,
// for the silence the fixture's target is. A write route added to
// routes() without an example here fails the tests below.
func (f *authFixture) exampleWrite(t *testing.T, rt route, target string) (path, body string) {
	t.Helper()
	now := f.m.clk.Now()
	switch rt.method + " " + rt.path {
	case "POST /silences":
		return rt.path, `{"matchers":["team=\"kyc\""],"duration":"1h","createdBy":"ana","comment":"KYC vendor cutover"}`
	case "DELETE /silences/{id}":
		return concrete(rt.path, target) + "?by=ana", ""
	case "POST /api/v2/silences":
		return rt.path, amSilenceBody("", `[{"name":"team","value":"kyc","isRegex":false}]`, now, now.Add(time.Hour), "ana", "KYC vendor cutover")
	case "DELETE /api/v2/silence/{silenceID}":
		return concrete(rt.path, target), ""
	}
	t.Fatalf("no example request for write route %s %s: add one to exampleWrite", rt.method, rt.path)
	return "", ""
}

// snapshot is the silence set as the store holds it.
func (f *authFixture) snapshot() string {
	b, err := json.Marshal(f.d.Silences().List())
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

// refusedWrites sends every write route requests that must be refused
// with code, and checks that the silence set did not change.
func (f *authFixture) refusedWrites(t *testing.T, code int, bodyHas string, hdr map[string]string) {
	t.Helper()
	for _, rt := range handlerRoutes(isWrite) {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			if _, ok := hdr["Content-Type"]; !ok && rt.method == "DELETE" && code == http.StatusUnsupportedMediaType {
				t.Skip("a DELETE has no body and needs no content type (amtool sends none)")
			}
			before := f.snapshot()
			path, body := f.exampleWrite(t, rt, f.activeID)
			got, resp := f.send(rt.method, path, body, hdr)
			want := code
			if rt.api == apiAMv2 && rt.method == "POST" {
				want = http.StatusBadRequest // writeAMRefusal: the code amtool reads a message from
			}
			if got != want || !strings.Contains(resp, bodyHas) {
				t.Errorf("answer %d %s, want %d naming %q", got, resp, want, bodyHas)
			}
			if after := f.snapshot(); after != before {
				t.Errorf("refused request changed the silences:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// A page on another site posts to the alerts API from a browser that has
// the operator's basic-auth credentials cached: the browser attaches them,
// so only the origin tells the request apart.
func TestCrossSiteWritesAreRefusedAndChangeNothing(t *testing.T) {
	f := newAuthFixture(t)
	creds := "Bearer " + opsToken
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"text/plain with Sec-Fetch-Site", map[string]string{"Authorization": creds, "Content-Type": "text/plain",
			"Sec-Fetch-Site": "cross-site", "Origin": crossSiteOrigin}},
		{"text/plain from a browser sending Origin only", map[string]string{"Authorization": creds, "Content-Type": "text/plain",
			"Origin": crossSiteOrigin}},
		{"form post", map[string]string{"Authorization": creds, "Content-Type": "application/x-www-form-urlencoded",
			"Sec-Fetch-Site": "cross-site", "Origin": crossSiteOrigin}},
		{"JSON with Sec-Fetch-Site", map[string]string{"Authorization": creds, "Content-Type": "application/json",
			"Sec-Fetch-Site": "cross-site", "Origin": crossSiteOrigin}},
		{"same-site subdomain", map[string]string{"Authorization": creds, "Content-Type": "application/json",
			"Sec-Fetch-Site": "same-site", "Origin": "https://status.casino.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) { f.refusedWrites(t, http.StatusForbidden, "cross-origin", tc.hdr) })
	}
}

func TestWritesWithoutJSONContentTypeAreRefusedWith415(t *testing.T) {
	f := newAuthFixture(t)
	for _, ct := range []string{"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/jsonp", "not a media type"} {
		t.Run(ct, func(t *testing.T) {
			// An operator's non-browser client: the origin checks pass,
			// the content type is what is wrong.
			hdr := map[string]string{"Authorization": "Bearer " + opsToken}
			if ct != "" {
				hdr["Content-Type"] = ct
			}
			f.refusedWrites(t, http.StatusUnsupportedMediaType, "application/json", hdr)
		})
	}
}

func TestWritesByCallersTheAuthorizerRefusesAreForbidden(t *testing.T) {
	f := newAuthFixture(t)
	for _, tc := range []struct{ name, auth string }{{"anonymous", ""}, {"wrong token", "Bearer guest"}} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin", "Origin": f.srv.URL}
			if tc.auth != "" {
				hdr["Authorization"] = tc.auth
			}
			f.refusedWrites(t, http.StatusForbidden, "not authorized", hdr)
		})
	}
}

func TestJSONWritesByOperatorsWorkFromTheSameOriginAndFromNonBrowserClients(t *testing.T) {
	f := newAuthFixture(t)
	sil := f.d.Silences()
	for _, client := range []struct {
		name string
		hdr  map[string]string
	}{
		{"same-origin browser", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": f.srv.URL,
			"Content-Type": "application/json; charset=utf-8"}},
		// amtool (go-openapi) and curl send no Origin and no Sec-Fetch-Site.
		{"non-browser client", map[string]string{"Content-Type": "application/json"}},
	} {
		for _, rt := range handlerRoutes(isWrite) {
			t.Run(client.name+"/"+rt.method+" "+rt.path, func(t *testing.T) {
				target, err := sil.Add(dispatch.Silence{Matchers: mustMatchers(t, `team="kyc"`), EndsAt: f.m.clk.Now().Add(time.Hour),
					CreatedBy: "ana", Comment: "target of an expiry"})
				if err != nil {
					t.Fatal(err)
				}
				n := len(sil.List())
				path, body := f.exampleWrite(t, rt, target)
				hdr := map[string]string{"Authorization": "Bearer " + opsToken}
				for k, v := range client.hdr {
					hdr[k] = v
				}
				code, resp := f.send(rt.method, path, body, hdr)
				if code < 200 || code > 299 {
					t.Fatalf("answer %d %s", code, resp)
				}
				switch rt.method {
				case "POST":
					if got := len(sil.List()); got != n+1 {
						t.Errorf("%d silences after a create, want %d", got, n+1)
					}
				case "DELETE":
					for _, s := range sil.List() {
						if s.ID == target && active(&s, f.m.clk.Now()) {
							t.Errorf("silence %s still active after expiry", target)
						}
					}
				}
			})
		}
	}
}

// A body type disclose does not know might carry details: the handler
// refuses to send it rather than guess.
func TestDiscloseRefusesBodiesItDoesNotKnow(t *testing.T) {
	for _, detailed := range []bool{false, true} {
		if _, ok := disclose(struct{ Comment string }{"x"}, detailed); ok {
			t.Errorf("detailed=%v: unknown type disclosed", detailed)
		}
		if _, ok := disclose(map[string]any{"alerts": []alerting.Alert{}, "other": 42}, detailed); ok {
			t.Errorf("detailed=%v: unknown value inside a map disclosed", detailed)
		}
	}
}
