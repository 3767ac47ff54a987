package monitor

import (
	"time"

	"github.com/jackcode/igmon/internal/window"
)

// Stats are a dependency's figures over its sliding window (see
// WithStatsWindow), computed from real traffic. Canceled calls are left
// out: they say nothing about the provider.
type Stats struct {
	// Kind and Name are the dependency's.
	Kind, Name string
	// Window is the length of time the figures cover.
	Window time.Duration
	// Calls counts every call in the window; the outcome counts below add
	// up to it.
	Calls uint64
	// Success, Declined, Rejected, Errors and Timeouts count the calls of
	// each Outcome (OutcomeSuccess, OutcomeDeclined, ...).
	Success, Declined, Rejected, Errors, Timeouts uint64
	// Failures is Errors + Timeouts: the calls that count against the
	// provider.
	Failures uint64
	// ErrorRate is Failures / Calls, 0 without calls.
	ErrorRate float64
	// Latency estimates (within about 6%) and the mean, 0 without calls.
	P50, P95, P99, Mean time.Duration
}

// Stats returns the dependency's current figures. It is cheap enough to
// call on every dashboard refresh or health check.
func (d *Dependency) Stats() Stats {
	if d == nil {
		return Stats{}
	}
	var s window.Snapshot
	d.win.SnapshotInto(d.now(), &s)
	st := Stats{
		Kind: d.kind, Name: d.name, Window: d.win.Size(),
		Calls:    s.Calls(),
		Success:  s.Counts[OutcomeSuccess],
		Declined: s.Counts[OutcomeDeclined],
		Rejected: s.Counts[OutcomeRejected],
		Errors:   s.Counts[OutcomeError],
		Timeouts: s.Counts[OutcomeTimeout],
		P50:      s.Quantile(0.5),
		P95:      s.Quantile(0.95),
		P99:      s.Quantile(0.99),
		Mean:     s.Mean(),
	}
	st.Failures = st.Errors + st.Timeouts
	if st.Calls > 0 {
		st.ErrorRate = float64(st.Failures) / float64(st.Calls)
	}
	return st
}
