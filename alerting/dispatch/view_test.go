package dispatch

import (
	"slices"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/dispatchview"
)

// The HTTP API reads the dispatcher through a snapshot: what it shows is
// what the pipeline knew when the snapshot was taken, whatever the
// pipeline does afterwards, and the suppression it reports is the
// pipeline's own (routes, silences, inhibition, maintenance).
func TestDispatchSnapshotIsACopyWithThePipelinesVerdicts(t *testing.T) {
	p := newPipe(t,
		WithReceiver(Receiver{Name: "kyc", Notifier: &recorder{}}),
		WithRoute(Route{Matchers: mustMatchers(t, `team="kyc"`), Receivers: []string{"kyc"}, GroupBy: []string{"team"}, Continue: true}),
		WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{alerting.LabelAlertName}}),
		WithInhibitRule(InhibitRule{Source: mustMatchers(t, `alertname="DBDown"`), Target: mustMatchers(t, `alertname="QueryErrors"`)}),
		WithMaintenanceWindow(MaintenanceWindow{Name: "kyc upgrade", Matchers: mustMatchers(t, `team="kyc"`),
			Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)}))
	db, q := firing("DBDown", map[string]string{"team": "kyc"}), firing("QueryErrors", map[string]string{"team": "kyc"})
	p.d.Receive([]alerting.Alert{db, q})
	if _, err := p.d.Silences().Add(Silence{Matchers: mustMatchers(t, `alertname="DBDown"`), EndsAt: t0.Add(time.Hour),
		CreatedBy: "ana", Comment: "failover"}); err != nil {
		t.Fatal(err)
	}

	snap := dispatchview.Of(p.d)
	want := []string{db.Fingerprint, q.Fingerprint}
	slices.Sort(want)
	var got []string
	for _, a := range snap.Firing() {
		got = append(got, a.Fingerprint)
	}
	if !slices.Equal(got, want) || !snap.Now().Equal(t0) || !slices.Equal(snap.Receivers(), []string{"oncall", "kyc"}) {
		t.Fatalf("firing %v at %v, receivers %v", got, snap.Now(), snap.Receivers())
	}
	// Three groups: the kyc team's, and one per alertname on the route
	// the first one continues to.
	if gs := snap.Groups(); len(gs) != 3 || !slices.Equal(gs[0].Receivers, []string{"kyc"}) || len(gs[0].Alerts) != 2 {
		t.Fatalf("groups %+v", gs)
	}
	st := snap.Status(q.Fingerprint, q.Labels)
	if !slices.Equal(st.Receivers, []string{"kyc", "oncall"}) || len(st.SilencedBy) != 0 ||
		!slices.Equal(st.InhibitedBy, []string{db.Fingerprint}) || !slices.Equal(st.MutedBy, []string{"kyc upgrade"}) {
		t.Errorf("QueryErrors status %+v", st)
	}
	if st := snap.Status(db.Fingerprint, db.Labels); len(st.SilencedBy) != 1 || len(st.InhibitedBy) != 0 {
		t.Errorf("DBDown status %+v", st)
	}

	// The pipeline moves on; the snapshot does not.
	p.d.Receive([]alerting.Alert{resolved(db), resolved(q)})
	p.at(time.Minute)
	if len(snap.Firing()) != 2 || len(snap.Groups()) != 3 || len(snap.Status(q.Fingerprint, q.Labels).InhibitedBy) != 1 {
		t.Errorf("snapshot changed with the dispatcher: firing %d, groups %d", len(snap.Firing()), len(snap.Groups()))
	}
	if now := dispatchview.Of(p.d); len(now.Firing()) != 0 || len(now.Groups()) != 0 {
		t.Errorf("a new snapshot still holds %d firing alerts and %d groups", len(now.Firing()), len(now.Groups()))
	}
}
