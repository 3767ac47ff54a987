//go:build linux

package main

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/browsertest"
)

// failoverRe matches the page's entry of the deposits group.
var failoverRe = regexp.MustCompile(`(?s)<li class="failover-group" data-group="deposits" data-serving="([a-z]+)">(.*?)</ul></li>`)

// TestBrowserShowsFailover: in a real browser, the Failover panel says
// which provider serves deposits and why, through a stripe outage and
// back, and the timeline records the switch.
func TestBrowserShowsFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the demo through a provider outage")
	}
	browsertest.Require(t)
	base := startDemo(t, config{rps: 40, logger: slog.New(slog.DiscardHandler)}).ep.baseURL
	page := func() (serving, entry, dom string) {
		_, dom = render(t, base)
		m := failoverRe.FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("the page shows no failover entry for deposits:\n%.4000s", dom)
		}
		return m[1], m[2], dom
	}
	eventually(t, time.Minute, "deposits flow through stripe", func() bool {
		st := serving(t, base)
		return st.Serving == "stripe" && st.Providers[0].State == "closed"
	})
	if s, entry, _ := page(); s != "stripe" || !strings.Contains(entry, "preferred") {
		t.Fatalf("before the fault the page shows deposits on %q:\n%s", s, entry)
	}

	post(t, base+"/control/faults", `{"provider":"stripe","fault":{"error_rate":1}}`)
	eventually(t, 10*time.Second, "deposits go to adyen", func() bool { return serving(t, base).Serving == "adyen" })
	s, entry, dom := page()
	for _, want := range []string{"failed over", "stripe breaker open", `data-provider="stripe" data-state="open"`, `data-provider="adyen" data-state="closed"`} {
		if s != "adyen" || !strings.Contains(entry, want) {
			t.Errorf("during the outage the page shows deposits on %q without %q:\n%s", s, want, entry)
		}
	}
	if !strings.Contains(dom, "deposits: calls go to adyen (was stripe)") {
		t.Errorf("the timeline does not record the switch to adyen")
	}

	post(t, base+"/control/faults", `{"reset":true}`)
	eventually(t, 60*time.Second, "deposits back on stripe", func() bool { return serving(t, base).Serving == "stripe" })
	if s, entry, dom := page(); s != "stripe" || !strings.Contains(entry, "preferred") || !strings.Contains(dom, "deposits: calls go to stripe (was adyen)") {
		t.Errorf("after the reset the page shows deposits on %q:\n%s", s, entry)
	}
}
