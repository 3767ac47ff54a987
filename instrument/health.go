package instrument

import (
	"time"

	"github.com/jackcode/igmon/checks"
)

// Health is what a Monitor's status rule said of a dependency in the last
// cycle of its series engine: the same verdict, signal and reason the
// dashboard card and status.json show. A standalone dependency is judged
// by the same rule's traffic signal alone.
type Health struct {
	// State is checks.StatusPass, StatusWarn or StatusFail by the worst
	// signal, or StatusUnknown when no signal has an opinion yet (no
	// calls, no fresh check, no alert) or no cycle has run.
	State  checks.Status
	Signal string    // the signal that decided: check, traffic, alert or override
	Reason string    // one line, e.g. "100 % of 57 calls failed over 30 s"
	Since  time.Time // when the dependency took this state, as far as known
	At     time.Time // the cycle that computed it
}

// Health returns the dependency's state as of the last engine cycle of the
// Monitor that watches it (every 5 s after Start, or Monitor.Refresh), or,
// standalone, as of its last 5 s boundary (judged once per boundary). It
// is an atomic load: no lock, no allocation, safe on a request path. A nil
// Dependency, one without calls in the window and one no cycle has judged
// yet are StatusUnknown.
func (d *Dependency) Health() Health {
	if d == nil {
		return Health{}
	}
	if d.win != nil {
		return d.standaloneHealth()
	}
	if h := d.health.Load(); h != nil {
		return *h
	}
	return Health{}
}
