// Package dispatchview is the read-only view of an dispatch.Dispatcher that
// the HTTP API (alerting/httpapi) serves: a copy the dispatcher takes under
// its own lock, so the API never reads the dispatcher's fields. Package
// alerting fills Of and Now in when it is initialised. The types are plain
// data because alerting imports this package.
package dispatchview

import "time"

// Alert is a firing alert as the dispatcher holds it.
type Alert struct {
	Fingerprint string
	Labels      map[string]string
	Annotations map[string]string
	FiredAt     time.Time
}

// Group is one notification group: the alerts of one route with the same
// values of its GroupBy labels.
type Group struct {
	// Key identifies the group and orders the groups.
	Key       string
	Labels    map[string]string
	Receivers []string // the route's, in its order
	Alerts    []Alert  // the firing ones, by fingerprint
}

// Status is how the dispatcher treats a firing alert at the snapshot's
// time. No list is nil.
type Status struct {
	Receivers   []string // of the routes it goes to, each once, in route order
	SilencedBy  []string // IDs of the active silences that match it, sorted
	InhibitedBy []string // fingerprints of the firing alerts that inhibit it, sorted
	MutedBy     []string // names of the maintenance windows that cover it, in configuration order
}

// Snapshot is what a dispatcher knew at one moment. Nothing in it changes
// afterwards, and nothing read from it may be changed.
type Snapshot interface {
	// Now is the time on the dispatcher's clock when the snapshot was
	// taken.
	Now() time.Time
	// Receivers names the receivers, in configuration order.
	Receivers() []string
	// Firing lists every firing alert the dispatcher holds, routed or not,
	// by fingerprint.
	Firing() []Alert
	// Groups lists the groups that hold firing alerts, by Key.
	Groups() []Group
	// Status applies the dispatcher's routes, silences, inhibition rules
	// and maintenance windows at Now to a firing alert.
	Status(fingerprint string, labels map[string]string) Status
}

var (
	// Of takes a Snapshot of an *dispatch.Dispatcher.
	Of func(d any) Snapshot
	// Now reads the clock of an *dispatch.Dispatcher (which its silence
	// set shares) without copying anything.
	Now func(d any) time.Time
)
