//go:build linux

package dashboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/failover"
)

// recoverySource adds a failover group serving its fallback and an alert
// action awaiting approval to the platform's snapshot.
type recoverySource struct{ *platformSource }

func (s recoverySource) Snapshot(ctx context.Context, detailed bool) (Snapshot, error) {
	snap, err := s.platformSource.Snapshot(ctx, detailed)
	now := time.Now()
	snap.Failover = []failover.Status{{Group: "deposits", Serving: "adyen", Since: now.Add(-time.Minute),
		Reason: "stripe breaker open (5 consecutive failures)",
		Providers: []failover.ProviderStatus{
			{Name: "stripe", State: "open", Reason: "5 consecutive failures", Since: now.Add(-time.Minute)},
			{Name: "adyen", State: "closed"},
		}}}
	snap.PendingActions = []PendingAction{{ID: "switch-psp-1", Action: "switch-psp", Alert: `PSPDown{igmon.check.name="psp"}`, Since: now}}
	return snap, err
}

// TestBrowserShowsRecovery: in a real browser the Recovery panel says
// which provider serves deposits and why, lists the action awaiting
// approval to everyone, and offers Approve only to an operator.
func TestBrowserShowsRecovery(t *testing.T) {
	requireChromium(t)
	src := recoverySource{newPlatformSource()}
	src.now = time.Now
	srv := operatorServer(t, src)

	common := []string{
		`<li class="failover-group" data-group="deposits" data-serving="adyen">`,
		`failed over`,
		`stripe breaker open (5 consecutive failures)`,
		`data-provider="stripe" data-state="open"`,
		`data-action-id="switch-psp-1"`,
		`awaits approval`,
	}
	for _, c := range []struct {
		name, url string
		approve   bool
	}{
		{"public", srv.URL + "/?transport=poll", false},
		{"operator", srv.URL + "/test-signin", true},
	} {
		dom := string(chromium(t, "--virtual-time-budget=3000", "--dump-dom", c.url))
		for _, want := range common {
			if !strings.Contains(dom, want) {
				t.Errorf("%s view lacks %s", c.name, want)
			}
		}
		if got := strings.Contains(dom, `>Approve</button>`); got != c.approve {
			t.Errorf("%s view: Approve button %v, want %v", c.name, got, c.approve)
		}
		if t.Failed() {
			t.Logf("%s DOM:\n%.6000s", c.name, dom)
		}
	}
}
