package alerting

import (
	"testing"
	"time"
)

func TestInhibitionByUnroutedSourceAndOnlyWhileFiring(t *testing.T) {
	src, _ := ParseMatchers(`alertname=EgressDown`)
	tgt, _ := ParseMatchers(`igmon.dependency.kind=payment`)
	route, _ := ParseMatchers(`team=payments`)
	p := newPipe(t,
		// Only team=payments is routed: EgressDown reaches no receiver.
		WithRoute(Route{Matchers: route, Receivers: []string{"oncall"}, GroupBy: []string{"instance"},
			GroupWait: time.Second, GroupInterval: time.Minute}),
		WithInhibitRule(InhibitRule{Source: src, Target: tgt}))
	egress := firing("EgressDown", map[string]string{"instance": "egress"})
	stripe := firing("PSPErrors", map[string]string{"team": "payments", "igmon.dependency.kind": "payment", "instance": "stripe"})
	p.d.Receive([]Alert{egress, stripe})
	if got := p.at(2 * time.Second); len(got) != 0 {
		t.Fatalf("child of a firing, unrouted parent was notified: %+v", got[0])
	}
	// The parent resolves: the child is no longer inhibited.
	p.d.Receive([]Alert{resolved(egress), stripe})
	got := p.at(2*time.Second + time.Minute)
	if len(got) != 1 || fps(got[0])["stripe"] != StateFiring {
		t.Fatalf("after the parent resolved: %+v", got)
	}
}
