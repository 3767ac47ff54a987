package instrument

import (
	"math"
	"time"

	"github.com/jackcode/igmon/internal/instrumenthook"
)

// The hook's figures are indexed by Outcome.
var _ [len(instrumenthook.Figures{}.Outcomes) - numOutcomes]struct{}

// Stats are a dependency's figures over the status window (30 s) as of
// its last 5 s boundary: for a dependency a Monitor watches, computed by
// the Monitor's series engine from the same metrics that are exported, in
// its last cycle (every 5 s after monitor.Monitor.Start); for a standalone
// one, from its own window. Canceled calls are left out: they say nothing
// about the provider.
type Stats struct {
	// Kind and Name are the dependency's.
	Kind, Name string
	// Window is the length of time the figures cover; At is the engine
	// cycle or 5 s boundary they come from (zero before a Monitor's first
	// cycle).
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
	// Latency quantiles from exponential histograms (the engine's, or the
	// standalone window's with 8 buckets per octave: within about 4.4 %),
	// 0 without calls.
	P50, P95, P99 time.Duration
}

// Stats returns the dependency's current figures. It reads what the
// Monitor's engine published, or sums the standalone window's counters,
// and costs no collection.
func (d *Dependency) Stats() Stats {
	if d == nil {
		return Stats{}
	}
	st := Stats{Kind: d.kind, Name: d.name}
	if d.stats == nil {
		return st
	}
	f := d.stats(d.kind, d.name)
	st.Window, st.At = f.Window, f.At
	n := func(v float64) uint64 { return uint64(math.Round(max(v, 0))) }
	st.Success, st.Declined, st.Rejected = n(f.Outcomes[OutcomeSuccess]), n(f.Outcomes[OutcomeDeclined]), n(f.Outcomes[OutcomeRejected])
	st.Errors, st.Timeouts = n(f.Outcomes[OutcomeError]), n(f.Outcomes[OutcomeTimeout])
	var calls, failures float64
	for o := OutcomeSuccess; o < numOutcomes; o++ {
		if o != OutcomeCanceled {
			calls += f.Outcomes[o]
		}
		if o.failure() {
			failures += f.Outcomes[o]
		}
	}
	st.Calls, st.Failures = n(calls), n(failures)
	if calls > 0 {
		st.ErrorRate = failures / calls
	}
	secs := func(v float64) time.Duration {
		if math.IsNaN(v) {
			return 0
		}
		return time.Duration(v * float64(time.Second))
	}
	st.P50, st.P95, st.P99 = secs(f.P50), secs(f.P95), secs(f.P99)
	return st
}
