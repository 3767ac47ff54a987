package dispatch

import (
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
)

func TestInhibitionByUnroutedSourceAndOnlyWhileFiring(t *testing.T) {
	src, _ := alerting.ParseMatchers(`alertname=EgressDown`)
	tgt, _ := alerting.ParseMatchers(`igmon.dependency.kind=payment`)
	route, _ := alerting.ParseMatchers(`team=payments`)
	p := newPipe(t,
		// Only team=payments is routed: EgressDown reaches no receiver.
		WithRoute(Route{Matchers: route, Receivers: []string{"oncall"}, GroupBy: []string{"instance"},
			GroupWait: time.Second, GroupInterval: time.Minute}),
		WithInhibitRule(InhibitRule{Source: src, Target: tgt}))
	egress := firing("EgressDown", map[string]string{"instance": "egress"})
	stripe := firing("PSPErrors", map[string]string{"team": "payments", "igmon.dependency.kind": "payment", "instance": "stripe"})
	p.d.Receive([]alerting.Alert{egress, stripe})
	if got := p.at(2 * time.Second); len(got) != 0 {
		t.Fatalf("child of a firing, unrouted parent was notified: %+v", got[0])
	}
	// The parent resolves: the child is no longer inhibited.
	p.d.Receive([]alerting.Alert{resolved(egress), stripe})
	got := p.at(2*time.Second + time.Minute)
	if len(got) != 1 || fps(got[0])["stripe"] != alerting.StateFiring {
		t.Fatalf("after the parent resolved: %+v", got)
	}
}
