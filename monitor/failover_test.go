package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/failover"
	"github.com/jackcode/igmon/instrument"
)

// TestFailoverGroupOverDependencies: the Monitor's group classifies
// errors as Track does (declines never trip), opens a breaker when the
// dependency's Health turns failing, records every change in the event
// log and shows the serving provider in status.json.
func TestFailoverGroupOverDependencies(t *testing.T) {
	m, eng := newEngineMonitor(t, time.Now())
	stripe := mustDep(t, m, instrument.KindPayment, "stripe")
	adyen := mustDep(t, m, instrument.KindPayment, "adyen")
	g, err := m.Failover("deposits", []*instrument.Dependency{stripe, adyen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Failover("deposits", []*instrument.Dependency{adyen}); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Fatalf("a second group named deposits: %v", err)
	}
	ctx := context.Background()
	deps := map[string]*instrument.Dependency{"stripe": stripe, "adyen": adyen}
	deposit := func(fail func(p string) error) string {
		var used string
		_ = g.Do(ctx, func(ctx context.Context, p string) error {
			used = p
			return deps[p].Track(ctx, "deposit", func(context.Context) error { return fail(p) })
		})
		return used
	}

	for range 10 {
		if p := deposit(func(string) error { return instrument.Declined(errors.New("insufficient funds")) }); p != "stripe" {
			t.Fatalf("declines moved deposits to %s", p)
		}
	}
	// Every third call fails: the breaker (a third of its last 20 calls,
	// no streak) does not open; the status rule over the 30 s window
	// fails stripe (10 of 40 calls, 25 %) and the verdict opens it.
	for i := range 30 {
		p := deposit(func(string) error {
			if i%3 == 0 {
				return errors.New("HTTP 503")
			}
			return instrument.Declined(errors.New("insufficient funds"))
		})
		if p != "stripe" {
			t.Fatalf("call %d went to %s before the verdict", i, p)
		}
	}
	eng.Advance(defaultStatusInterval)
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if h := stripe.Health(); h.State != checks.StatusFail {
		t.Fatalf("stripe health %+v, want failing", h)
	}
	if p := deposit(func(string) error { return nil }); p != "adyen" {
		t.Fatalf("with stripe failing: %s, want adyen", p)
	}

	var kinds []string
	for _, e := range m.events.Query(eventQuery{Kind: eventFailover}) {
		kinds = append(kinds, e.Severity+" "+e.Message)
	}
	want := []string{
		"warning deposits: stripe breaker closed → open: health failing: 25 % of 40 calls failed over 30 s",
		"warning deposits: calls go to adyen (was stripe): stripe breaker open (health failing: 25 % of 40 calls failed over 30 s)",
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Fatalf("failover events:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}

	h, err := m.Dashboard()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Failover []failover.Status `json:"failover"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Failover) != 1 || body.Failover[0].Serving != "adyen" || body.Failover[0].Providers[0].State != "open" ||
		!strings.Contains(body.Failover[0].Reason, "health failing") {
		t.Fatalf("status.json failover: %+v", body.Failover)
	}
}
