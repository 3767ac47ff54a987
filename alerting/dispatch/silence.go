package dispatch

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/clock"
)

// ErrSilenceNotFound is returned for an unknown silence ID.
var ErrSilenceNotFound = errors.New("alerting: silence not found")

// ErrInvalidSilence is wrapped by silence validation errors.
var ErrInvalidSilence = errors.New("alerting: invalid silence")

// Silence mutes firing alerts whose labels match all Matchers between
// StartsAt and EndsAt. Every silence names its author and says why, so the
// audit trail survives.
type Silence struct {
	ID        string            `json:"id"`
	Matchers  alerting.Matchers `json:"matchers"`
	StartsAt  time.Time         `json:"startsAt"`
	EndsAt    time.Time         `json:"endsAt"`
	CreatedBy string            `json:"createdBy"`
	Comment   string            `json:"comment"`
	CreatedAt time.Time         `json:"createdAt"`
	ExpiredBy string            `json:"expiredBy,omitempty"`
}

// active reports whether s mutes at t.
func (s *Silence) active(t time.Time) bool { return !t.Before(s.StartsAt) && t.Before(s.EndsAt) }

// Silences is a concurrency-safe set of silences.
type Silences struct {
	clock  clock.Clock
	retain time.Duration
	mu     sync.RWMutex
	m      map[string]*Silence

	subMu  sync.Mutex
	subs   []silenceSub // in subscription order
	nextID uint64

	// remote, when set (Alertmanagers.Silences), stores the silences;
	// m then mirrors what it last read. view turns an alert's labels
	// into the ones the remote's matchers are written for.
	remote silenceStore
	view   func(alerting.Labels) alerting.Labels
}

// silenceStore is a fleet-wide silence store (an Alertmanager cluster).
type silenceStore interface {
	// createSilence stores s and returns its ID and s as stored.
	createSilence(s Silence) (Silence, error)
	expireSilence(id string) error
}

type silenceSub struct {
	id uint64
	fn func(silenceChange)
}

// silenceChangeKind says what happened to a silence.
type silenceChangeKind int

// Silence changes reported to subscribe listeners.
const (
	silenceCreated silenceChangeKind = iota + 1 // Add stored a new silence
	silenceExpired                              // Expire ended a silence before its end time
)

func (k silenceChangeKind) String() string {
	switch k {
	case silenceCreated:
		return "created"
	case silenceExpired:
		return "expired"
	}
	return fmt.Sprintf("silenceChangeKind(%d)", int(k))
}

// silenceChange is one change to a silence set: the silence as it is
// after the change (its ExpiredBy names who ended it) and the set's clock
// time of the change.
type silenceChange struct {
	Kind    silenceChangeKind
	Silence Silence
	Time    time.Time
}

// newSilences returns an empty set that uses c for "now" (nil: the real
// clock). Expired silences stay listed for a day for the audit trail.
func newSilences(c clock.Clock) *Silences {
	if c == nil {
		c = clock.Real{}
	}
	return &Silences{clock: c, retain: 24 * time.Hour, m: map[string]*Silence{}}
}

// Limits on the text of a silence, the same as the dashboard's
// (monitor/dashboard), so a silence made through any API can be shown and
// made again there: every text is valid UTF-8 without control characters
// (they forge log lines and break the page), and at most this long, in
// bytes.
const (
	maxSilenceCommentLen      = 1024 // Comment
	maxSilenceAuthorLen       = 128  // CreatedBy, and who expires a silence
	maxSilenceMatchers        = 16   // matchers in one silence
	maxSilenceMatcherNameLen  = 128  // a matcher's label name
	maxSilenceMatcherValueLen = 256  // a matcher's value or regular expression
)

// checkSilenceText is the one text check of a silence, whichever API
// created it (Go, alerting/httpapi's API, the Alertmanager API v2, the
// dashboard through the monitor): Add calls it.
func checkSilenceText(s *Silence) error {
	if len(s.Matchers) > maxSilenceMatchers {
		return fmt.Errorf("%w: matchers: at most %d, got %d", ErrInvalidSilence, maxSilenceMatchers, len(s.Matchers))
	}
	for i, m := range s.Matchers {
		if err := checkText(fmt.Sprintf("matchers[%d].name", i), m.Name, maxSilenceMatcherNameLen); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("matchers[%d].value", i), m.Value, maxSilenceMatcherValueLen); err != nil {
			return err
		}
	}
	if err := checkText("createdBy", s.CreatedBy, maxSilenceAuthorLen); err != nil {
		return err
	}
	return checkText("comment", s.Comment, maxSilenceCommentLen)
}

// checkText refuses text longer than max bytes, invalid UTF-8 and control
// characters, naming field.
func checkText(field, s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("%w: %s: longer than %d bytes", ErrInvalidSilence, field, max)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s: not valid UTF-8", ErrInvalidSilence, field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s: contains control characters", ErrInvalidSilence, field)
		}
	}
	return nil
}

// Add validates s, assigns an ID and stores it. A zero StartsAt means now.
// Its text must pass the limits above (maxSilenceCommentLen, ...).
func (ss *Silences) Add(s Silence) (string, error) {
	now := ss.clock.Now()
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	switch {
	case len(s.Matchers) == 0:
		return "", fmt.Errorf("%w: matchers: at least one is required", ErrInvalidSilence)
	case s.CreatedBy == "":
		return "", fmt.Errorf("%w: createdBy: the author is required", ErrInvalidSilence)
	case s.Comment == "":
		return "", fmt.Errorf("%w: comment: say why the alerts are silenced", ErrInvalidSilence)
	case !s.EndsAt.After(s.StartsAt):
		return "", fmt.Errorf("%w: endsAt: must be after startsAt", ErrInvalidSilence)
	case !s.EndsAt.After(now):
		return "", fmt.Errorf("%w: endsAt: must be in the future", ErrInvalidSilence)
	}
	for _, m := range s.Matchers {
		if m == nil || m.Name == "" {
			return "", fmt.Errorf("%w: matchers: empty matcher", ErrInvalidSilence)
		}
	}
	if err := checkSilenceText(&s); err != nil {
		return "", err
	}
	s.CreatedAt = now
	s.Matchers = slices.Clone(s.Matchers)
	if ss.remote != nil {
		stored, err := ss.remote.createSilence(s)
		if err != nil {
			return "", err
		}
		s = stored
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.ID = hex.EncodeToString(b[:])
	}
	ss.mu.Lock()
	ss.m[s.ID] = &s
	ss.gcLocked(now)
	ss.mu.Unlock()
	ss.notify(silenceChange{Kind: silenceCreated, Silence: s, Time: now})
	return s.ID, nil
}

// Expire ends silence id now, recording who ended it. Expiring a silence
// that already ended changes nothing and reports nothing.
func (ss *Silences) Expire(id, by string) error {
	if err := checkText("by", by, maxSilenceAuthorLen); err != nil {
		return err
	}
	if ss.remote != nil {
		if err := ss.remote.expireSilence(id); err != nil {
			return err
		}
	}
	now := ss.clock.Now()
	ss.mu.Lock()
	s, ok := ss.m[id]
	if !ok && ss.remote != nil {
		ss.mu.Unlock()
		return nil // made elsewhere in the fleet, not read back yet: expired there
	}
	if !ok {
		ss.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrSilenceNotFound, id)
	}
	changed := s.EndsAt.After(now)
	if changed {
		s.EndsAt = now
		if s.StartsAt.After(now) {
			s.StartsAt = now
		}
		s.ExpiredBy = by
	}
	after := *s
	ss.mu.Unlock()
	if changed {
		ss.notify(silenceChange{Kind: silenceExpired, Silence: after, Time: now})
	}
	return nil
}

// subscribe calls fn after every silence the set creates or expires,
// whichever way the change came (Go code, alerting/httpapi's HTTP API, a
// dashboard), so that an audit trail fed from here cannot miss a path. fn
// runs synchronously in the goroutine that made the change, after the
// set's lock is released (fn may read the set); it must not block. The
// returned function removes fn.
func (ss *Silences) subscribe(fn func(silenceChange)) (unsubscribe func()) {
	ss.subMu.Lock()
	defer ss.subMu.Unlock()
	ss.nextID++
	id := ss.nextID
	ss.subs = append(ss.subs, silenceSub{id, fn})
	return func() {
		ss.subMu.Lock()
		ss.subs = slices.DeleteFunc(ss.subs, func(s silenceSub) bool { return s.id == id })
		ss.subMu.Unlock()
	}
}

func (ss *Silences) notify(c silenceChange) {
	c.Silence.Matchers = slices.Clone(c.Silence.Matchers)
	ss.subMu.Lock()
	subs := slices.Clone(ss.subs)
	ss.subMu.Unlock()
	for _, s := range subs {
		s.fn(c)
	}
}

// List returns all silences, active first, then by end time.
func (ss *Silences) List() []Silence {
	now := ss.clock.Now()
	ss.mu.RLock()
	out := make([]Silence, 0, len(ss.m))
	for _, s := range ss.m {
		out = append(out, *s)
	}
	ss.mu.RUnlock()
	slices.SortFunc(out, func(a, b Silence) int {
		aa, ba := a.active(now), b.active(now)
		if aa != ba {
			if aa {
				return -1
			}
			return 1
		}
		return cmp.Or(a.EndsAt.Compare(b.EndsAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// mutedBy returns the ID of an active silence matching l.
func (ss *Silences) mutedBy(l alerting.Labels, now time.Time) (string, bool) {
	if ss.view != nil {
		l = ss.view(l)
	}
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	for id, s := range ss.m {
		if s.active(now) && s.Matchers.Matches(l) {
			return id, true
		}
	}
	return "", false
}

func (ss *Silences) gcLocked(now time.Time) {
	for id, s := range ss.m {
		if now.Sub(s.EndsAt) > ss.retain {
			delete(ss.m, id)
		}
	}
}

// replace makes the set what the remote store lists (a refresh).
func (ss *Silences) replace(list []Silence) {
	m := make(map[string]*Silence, len(list))
	for i := range list {
		m[list[i].ID] = &list[i]
	}
	ss.mu.Lock()
	ss.m = m
	ss.mu.Unlock()
}
