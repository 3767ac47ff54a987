package monitor

import (
	"math"
	"time"
)

// Stats are a dependency's figures over the status window
// (30 s), computed by the series engine from the same
// metrics that are exported, in its last cycle (every
// 5 s after Start). Canceled calls are left out: they
// say nothing about the provider.
type Stats struct {
	// Kind and Name are the dependency's.
	Kind, Name string
	// Window is the length of time the figures cover; At is the engine
	// cycle they come from (zero before the first one).
	Window time.Duration
	At     time.Time
	// Calls counts every call in the window but canceled ones; the
	// outcome counts below add up to it.
	Calls uint64
	// Success, Declined, Rejected, Errors and Timeouts count the calls of
	// each Outcome (OutcomeSuccess, OutcomeDeclined, ...).
	Success, Declined, Rejected, Errors, Timeouts uint64
	// Failures is Errors + Timeouts: the calls that count against the
	// provider.
	Failures uint64
	// ErrorRate is Failures / Calls, 0 without calls.
	ErrorRate float64
	// Latency quantiles from the engine's exponential histograms, 0
	// without calls.
	P50, P95, P99 time.Duration
}

// Stats returns the dependency's current figures. It reads what the engine
// published and costs no collection.
func (d *Dependency) Stats() Stats {
	if d == nil {
		return Stats{}
	}
	st := Stats{Kind: d.kind, Name: d.name}
	if d.traffic == nil {
		return st
	}
	snap := d.traffic.snapshot()
	st.Window, st.At = snap.window, snap.at
	f, ok := snap.deps[depKey{d.kind, d.name}]
	if !ok {
		return st
	}
	n := func(v float64) uint64 { return uint64(math.Round(max(v, 0))) }
	st.Success, st.Declined, st.Rejected = n(f.outcomes[OutcomeSuccess]), n(f.outcomes[OutcomeDeclined]), n(f.outcomes[OutcomeRejected])
	st.Errors, st.Timeouts = n(f.outcomes[OutcomeError]), n(f.outcomes[OutcomeTimeout])
	st.Calls, st.Failures = n(f.calls), n(f.failures)
	if f.calls > 0 {
		st.ErrorRate = f.failures / f.calls
	}
	secs := func(v float64) time.Duration {
		if math.IsNaN(v) {
			return 0
		}
		return time.Duration(v * float64(time.Second))
	}
	st.P50, st.P95, st.P99 = secs(f.p50), secs(f.p95), secs(f.p99)
	return st
}
