package instrument

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/instrumenthook"
	"github.com/jackcode/igmon/internal/passive"
)

// A standalone dependency (NewDependency without a Monitor) keeps its own
// status window so that Stats, HealthCheck and Health work with only a
// MeterProvider: the metrics go to the caller's provider, which this
// package cannot read back. The window has the shape of a Monitor's: the
// figures cover the last windowSlots complete slots of slotLength (30 s),
// as of the last slot boundary, the way a Monitor's cover 30 s as of its
// last 5 s cycle. A Monitor's dependencies have no window: the series
// engine computes their figures from the exported metrics.
const (
	slotLength  = 5 * time.Second
	windowSlots = 6
	ringSlots   = windowSlots + 1 // the complete slots and the one filling
)

// Latency buckets are exponential with 8 per octave (the bounds grow by
// 2^(1/8), about 9 %), from 2^minOctave s (~15 µs) to 2^maxOctave s
// (~256 s); a quantile is the geometric middle of its bucket, within
// about 4.4 % of the truth. Slower and faster calls count in the end
// buckets.
const (
	bucketsPerOctave = 8
	minOctave        = -16
	maxOctave        = 8
	latencyBuckets   = (maxOctave - minOctave) * bucketsPerOctave
)

// slot counts the calls of one slotLength, by outcome and latency bucket.
type slot struct {
	epoch    atomic.Int64 // the slot's number since the Unix epoch; 0 unused
	outcomes [numOutcomes]atomic.Uint64
	latency  [latencyBuckets]atomic.Uint32
}

// window is a ring of slots. Recording is lock-free: a call adds to the
// slot of its end time, and the first call of a new slot clears the slot
// it reuses under mu (a slot is reused ringSlots × slotLength later, so
// no call still adds to its old epoch).
type window struct {
	mu    sync.Mutex
	slots [ringSlots]slot
}

func slotOf(t time.Time) int64 { return t.UnixNano() / int64(slotLength) }

// record counts one call that ended at end, with latency lat and outcome o.
func (w *window) record(end time.Time, lat time.Duration, o Outcome) {
	e := slotOf(end)
	s := &w.slots[e%ringSlots]
	if s.epoch.Load() != e {
		w.rotate(s, e)
	}
	s.outcomes[o].Add(1)
	if o != OutcomeCanceled {
		s.latency[latencyBucket(lat)].Add(1)
	}
}

func (w *window) rotate(s *slot, e int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.epoch.Load() >= e {
		return
	}
	for i := range s.outcomes {
		s.outcomes[i].Store(0)
	}
	for i := range s.latency {
		s.latency[i].Store(0)
	}
	s.epoch.Store(e)
}

// latencyBucket returns the bucket of a latency.
func latencyBucket(lat time.Duration) int {
	secs := lat.Seconds()
	if secs <= 0 {
		return 0
	}
	i := int(math.Floor(math.Log2(secs)*bucketsPerOctave)) - minOctave*bucketsPerOctave
	return min(max(i, 0), latencyBuckets-1)
}

// figures returns the window's figures as of the last slot boundary
// before now: the windowSlots slots that ended by then.
func (w *window) figures(now time.Time) instrumenthook.Figures {
	cur := slotOf(now)
	f := instrumenthook.Figures{Window: windowSlots * slotLength, At: time.Unix(0, cur*int64(slotLength))}
	var hist [latencyBuckets]uint64
	var total uint64
	for e := cur - windowSlots; e < cur; e++ {
		s := &w.slots[e%ringSlots]
		if s.epoch.Load() != e {
			continue // no call in that slot
		}
		for i := range s.outcomes {
			f.Outcomes[i] += float64(s.outcomes[i].Load())
		}
		for i := range s.latency {
			n := uint64(s.latency[i].Load())
			hist[i] += n
			total += n
		}
	}
	f.P50, f.P95, f.P99 = quantile(&hist, total, 0.50), quantile(&hist, total, 0.95), quantile(&hist, total, 0.99)
	return f
}

// quantile returns the q-quantile in seconds of the latency histogram,
// NaN when it is empty.
func quantile(hist *[latencyBuckets]uint64, total uint64, q float64) float64 {
	if total == 0 {
		return math.NaN()
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, n := range hist {
		seen += n
		if seen >= max(rank, 1) {
			// The geometric middle of [2^(k/8), 2^((k+1)/8)).
			k := float64(i+minOctave*bucketsPerOctave) + 0.5
			return math.Exp2(k / bucketsPerOctave)
		}
	}
	return math.NaN()
}

// standaloneHealth returns the standalone dependency's Health as of its
// last slot boundary, judged by the traffic rule a Monitor's status rule
// uses. It is computed once per slot and cached in d.health.
func (d *Dependency) standaloneHealth() Health {
	now := d.now()
	at := time.Unix(0, slotOf(now)*int64(slotLength))
	prev := d.health.Load()
	if prev != nil && prev.At.Equal(at) {
		return *prev
	}
	h := judgeTraffic(d.Stats())
	h.At = at
	switch {
	case prev != nil && prev.State == h.State:
		h.Since = prev.Since
	case h.State != checks.StatusUnknown:
		h.Since = at
	}
	d.health.CompareAndSwap(prev, &h)
	return h
}

// judgeTraffic is Health from a standalone dependency's Stats.
func judgeTraffic(st Stats) Health {
	level, reason, ok := passive.Judge(float64(st.Calls), float64(st.Failures), st.Window)
	if !ok {
		return Health{State: checks.StatusUnknown}
	}
	state := [...]checks.Status{passive.Pass: checks.StatusPass, passive.Warn: checks.StatusWarn, passive.Fail: checks.StatusFail}[level]
	return Health{State: state, Signal: "traffic", Reason: reason}
}
