package alerting

import (
	"time"
)

// instance is the state machine of one alert.
type instance struct {
	labels      Labels
	fingerprint string
	annotations map[string]string
	state       State
	value       float64
	activeAt    time.Time
	firedAt     time.Time
	resolvedAt  time.Time
	lastTrue    time.Time
	lastCond    bool
	evaluated   bool
	flapping    bool
	flips       []time.Time // condition changes inside the flap window
	// holdUntil keeps a firing alert restored after a restart firing
	// until its rule has read a whole window of fresh data: the
	// counters started over with the process, so "no data yet" must not
	// resolve it (and page again a moment later).
	holdUntil time.Time
}

// held reports whether a restored firing alert ignores a false condition
// at now (see holdUntil).
func (in *instance) held(now time.Time, active bool) bool {
	return !active && in.state == StateFiring && now.Before(in.holdUntil)
}

// step advances the state machine by one evaluation and reports whether
// the visible state changed.
func (in *instance) step(now time.Time, active bool, r *Rule, retention time.Duration) bool {
	if in.evaluated && active != in.lastCond && r.Flap.Threshold > 0 {
		in.flips = append(in.flips, now)
	}
	in.lastCond, in.evaluated = active, true
	if r.Flap.Threshold > 0 {
		cut := now.Add(-r.Flap.Window)
		i := 0
		for i < len(in.flips) && !in.flips[i].After(cut) {
			i++
		}
		in.flips = append(in.flips[:0], in.flips[i:]...)
	}
	flapping := r.Flap.Threshold > 0 && len(in.flips) > r.Flap.Threshold
	if active {
		in.lastTrue = now
	}
	prev := in.state
	switch in.state {
	case StateInactive, StateResolved:
		if active {
			in.activeAt = now
			in.state = StatePending
			in.resolvedAt = time.Time{}
			if r.For <= 0 {
				in.state, in.firedAt = StateFiring, now
			}
		} else if in.state == StateResolved && now.Sub(in.resolvedAt) >= retention {
			in.state = StateInactive
		}
	case StatePending:
		switch {
		case !active:
			in.state = StateInactive
		case now.Sub(in.activeAt) >= r.For:
			in.state, in.firedAt = StateFiring, now
		}
	case StateFiring:
		switch {
		case active:
		case r.KeepFiringFor > 0 && now.Sub(in.lastTrue) < r.KeepFiringFor:
		case flapping:
		default:
			in.state, in.resolvedAt = StateResolved, now
		}
	}
	in.flapping = flapping && in.state == StateFiring
	return in.state != prev
}
