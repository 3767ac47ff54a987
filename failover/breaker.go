package failover

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// bstate is a breaker's state.
type bstate int32

// Breaker states.
const (
	stClosed   bstate = iota // calls go through
	stHalfOpen               // one trial call at a time goes through
	stOpen                   // calls skip the provider
)

// String returns closed, half_open or open.
func (s bstate) String() string {
	switch s {
	case stClosed:
		return "closed"
	case stHalfOpen:
		return "half_open"
	case stOpen:
		return "open"
	}
	return "unknown"
}

// member is one provider of a group with its breaker.
type member struct {
	name    string
	index   int
	health  func() (bool, string)
	failure func(error) bool
	br      breaker
	opts    memberOpts
	calls   [numRoutes]atomic.Int64 // routed calls, read by the metrics callback
}

type admission uint8

const (
	denied admission = iota
	admitted
	admittedTrial
)

type verdict uint8

const (
	verdictSuccess verdict = iota
	verdictFailure
	verdictSlow
	verdictNeutral // canceled by the caller: says nothing
)

// breaker is one provider's circuit breaker. state is read without the
// lock on the closed path; everything else is guarded by mu, which is
// only held for a few counter updates.
type breaker struct {
	cfg   *Breaker
	state atomic.Int32 // a bstate
	// healthFailing is the last health verdict seen, so that a turn to
	// failing opens the breaker once, not on every call.
	healthFailing atomic.Bool

	mu          sync.Mutex
	reason      string
	since       time.Time
	openUntil   time.Time
	openFor     time.Duration
	consecutive int
	// ring holds the verdicts of the last calls in the closed state, a
	// count-based window: counting needs no clock on a call's path.
	ring                 []verdict
	next, filled         int
	failed, slows, calls int
	trialBusy            bool
	trialOK              int
}

// admit says whether the breaker lets a call through now.
func (b *breaker) admit(g *Group, m *member, clock func() time.Time) admission {
	if m.health != nil {
		failing, reason := m.health()
		if failing != b.healthFailing.Load() {
			b.healthChanged(g, m, failing, reason, clock())
		}
	}
	if bstate(b.state.Load()) == stClosed {
		return admitted
	}
	now := clock()
	b.mu.Lock()
	var ch *Change
	switch bstate(b.state.Load()) {
	case stClosed: // closed meanwhile
		b.mu.Unlock()
		return admitted
	case stOpen:
		if now.Before(b.openUntil) {
			b.mu.Unlock()
			return denied
		}
		ch = b.to(g, m, stHalfOpen, fmt.Sprintf("open period of %s over: trial calls", b.openFor), now)
	}
	got := denied
	if !b.trialBusy {
		b.trialBusy = true
		got = admittedTrial
	}
	b.mu.Unlock()
	g.notify(ch)
	return got
}

// healthChanged handles a turn of the provider's health: to failing, it
// opens a closed breaker.
func (b *breaker) healthChanged(g *Group, m *member, failing bool, reason string, now time.Time) {
	b.mu.Lock()
	if b.healthFailing.Load() == failing {
		b.mu.Unlock()
		return
	}
	b.healthFailing.Store(failing)
	var ch *Change
	if failing && bstate(b.state.Load()) == stClosed {
		ch = b.open(g, m, "health failing: "+reason, now)
	}
	b.mu.Unlock()
	g.notify(ch)
}

// done records a call's verdict. now is zero when the call was not
// timed; a transition reads the clock.
func (b *breaker) done(g *Group, m *member, trial bool, v verdict, now time.Time) {
	if now.IsZero() && v != verdictSuccess {
		now = g.now()
	}
	b.mu.Lock()
	var ch *Change
	switch {
	case trial:
		b.trialBusy = false
		if bstate(b.state.Load()) != stHalfOpen {
			break
		}
		switch v {
		case verdictFailure, verdictSlow:
			b.openFor = min(2*b.openFor, b.cfg.MaxOpenFor)
			what := "failed"
			if v == verdictSlow {
				what = "was slower than " + b.cfg.SlowCall.String()
			}
			ch = b.open(g, m, "trial call "+what, now)
		case verdictSuccess:
			b.trialOK++
			if b.trialOK >= b.cfg.Trials {
				if now.IsZero() {
					now = g.now()
				}
				b.openFor = b.cfg.OpenFor
				b.consecutive = 0
				b.reset()
				ch = b.to(g, m, stClosed, fmt.Sprintf("%d trial calls succeeded", b.trialOK), now)
			}
		}
	case bstate(b.state.Load()) == stClosed && v != verdictNeutral:
		ch = b.count(g, m, v, now)
	}
	b.mu.Unlock()
	g.notify(ch)
}

// count adds a closed call to the window and opens the breaker when a
// threshold is crossed. Callers hold b.mu.
func (b *breaker) count(g *Group, m *member, v verdict, now time.Time) *Change {
	if b.filled == len(b.ring) {
		switch b.ring[b.next] {
		case verdictFailure:
			b.failed--
		case verdictSlow:
			b.slows--
		}
	} else {
		b.filled++
	}
	b.ring[b.next] = v
	b.next = (b.next + 1) % len(b.ring)
	switch v {
	case verdictFailure:
		b.failed++
		b.consecutive++
	case verdictSlow:
		b.slows++
		b.consecutive = 0
	default:
		b.consecutive = 0
	}
	if v == verdictSuccess {
		return nil
	}
	if b.cfg.ConsecutiveFailures > 0 && b.consecutive >= b.cfg.ConsecutiveFailures {
		return b.open(g, m, fmt.Sprintf("%d consecutive failures", b.consecutive), now)
	}
	n := b.filled
	if n < b.cfg.MinCalls || n == 0 {
		return nil
	}
	if r := float64(b.failed) / float64(n); r >= b.cfg.ErrorRatio {
		return b.open(g, m, fmt.Sprintf("%.0f %% of the last %d calls failed", 100*r, n), now)
	}
	if r := float64(b.slows) / float64(n); r >= b.cfg.SlowRatio {
		return b.open(g, m, fmt.Sprintf("%.0f %% of the last %d calls slower than %s", 100*r, n, b.cfg.SlowCall), now)
	}
	return nil
}

// reset empties the window. Callers hold b.mu.
func (b *breaker) reset() {
	clear(b.ring)
	b.next, b.filled, b.failed, b.slows = 0, 0, 0, 0
}

// open opens the breaker for its current open period. Callers hold b.mu.
func (b *breaker) open(g *Group, m *member, reason string, now time.Time) *Change {
	b.openUntil = now.Add(b.openFor)
	b.trialOK = 0
	b.consecutive = 0
	b.reset()
	return b.to(g, m, stOpen, reason, now)
}

// to moves the breaker to s and returns the change to announce once the
// lock is released. Callers hold b.mu.
func (b *breaker) to(g *Group, m *member, s bstate, reason string, now time.Time) *Change {
	from := bstate(b.state.Swap(int32(s)))
	b.reason, b.since = reason, now
	if s == stHalfOpen {
		b.trialOK = 0
	}
	g.inst.transition(m, s)
	return &Change{Time: now, Group: g.name, Provider: m.name, Kind: kindBreaker, From: from.String(), To: s.String(), Reason: reason}
}

// describe says, in a few words, what the breaker is doing and why.
func (b *breaker) describe() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := bstate(b.state.Load())
	if b.reason == "" {
		return "breaker " + s.String()
	}
	return "breaker " + s.String() + " (" + b.reason + ")"
}

func (g *Group) notify(ch *Change) {
	if ch != nil && g.cfg.listener != nil {
		g.cfg.listener(*ch)
	}
}
