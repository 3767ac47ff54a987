package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/redact"
)

// timelineEvent kinds recorded by igmon itself.
const (
	eventCheck        = "check"        // a check changed status
	eventProbe        = "probe"        // a synthetic probe started or ended a failure streak
	eventAlert        = "alert"        // an alert changed state
	eventNotification = "notification" // a notification was delivered or finally failed
	eventOverride     = "override"     // an operator overrode a check
	eventSilence      = "silence"      // a silence was created or removed
	eventLifecycle    = "lifecycle"    // the service started, drained or stopped
)

// timelineEvent severities.
const (
	severityInfo     = "info"
	severityWarning  = "warning"
	severityCritical = "critical"
)

// timelineEvent is one entry of the timeline a person on call reads.
type timelineEvent struct {
	Time      time.Time         `json:"time"`            // when it happened
	Component string            `json:"component"`       // the check, probe, alert or "" for the service
	Kind      string            `json:"kind"`            // one of the timelineEvent* kinds
	Severity  string            `json:"severity"`        // severityInfo, severityWarning or severityCritical
	Message   string            `json:"message"`         // one short, redacted line
	Attrs     map[string]string `json:"attrs,omitempty"` // details; shown to authorized readers only
}

// defaultEventCapacity is how many events the log keeps by default.
const defaultEventCapacity = 1000

// eventRing is a bounded ring of recent events, mirrored to slog. It is safe
// for concurrent use; recording never blocks on readers.
type eventRing struct {
	clock  clock.Clock
	logger *slog.Logger

	// changed, when set (WithDataDir, before New returns), is signalled
	// after every Record without blocking, so the state is saved soon.
	changed chan<- struct{}

	mu    sync.RWMutex
	ring  []timelineEvent
	next  int // index the next event goes to
	total uint64
}

// newEventLog returns a log keeping the last capacity events (at least 1).
// A nil logger means slog.Default(); a nil clock the real one.
func newEventLog(capacity int, logger *slog.Logger, c clock.Clock) (*eventRing, error) {
	if capacity < 1 {
		return nil, fmt.Errorf("monitor: event log capacity: %d must be at least 1", capacity)
	}
	if logger == nil {
		logger = slog.Default()
	}
	if c == nil {
		c = clock.Real{}
	}
	return &eventRing{clock: c, logger: logger, ring: make([]timelineEvent, 0, capacity)}, nil
}

// Record adds an event, stamping the time if it is zero and redacting the
// message and attribute values, and logs it.
func (l *eventRing) Record(e timelineEvent) {
	if e.Time.IsZero() {
		e.Time = l.clock.Now()
	}
	if e.Severity == "" {
		e.Severity = severityInfo
	}
	e.Message = redact.String(e.Message)
	if len(e.Attrs) > 0 {
		attrs := make(map[string]string, len(e.Attrs))
		for k, v := range e.Attrs {
			attrs[k] = redact.String(v)
		}
		e.Attrs = attrs
	}
	l.mu.Lock()
	if len(l.ring) < cap(l.ring) {
		l.ring = append(l.ring, e)
	} else {
		l.ring[l.next] = e
	}
	l.next = (l.next + 1) % cap(l.ring)
	l.total++
	l.mu.Unlock()
	if l.changed != nil {
		select {
		case l.changed <- struct{}{}:
		default:
		}
	}

	level := slog.LevelInfo
	switch e.Severity {
	case severityWarning:
		level = slog.LevelWarn
	case severityCritical:
		level = slog.LevelError
	}
	attrs := make([]slog.Attr, 0, 3+len(e.Attrs))
	attrs = append(attrs, slog.String("event", e.Kind), slog.String("component", e.Component))
	for k, v := range e.Attrs {
		attrs = append(attrs, slog.String(k, v))
	}
	l.logger.LogAttrs(context.Background(), level, e.Message, attrs...)
}

// eventQuery selects events. Zero fields match everything.
type eventQuery struct {
	Component string    // exact component name
	Kind      string    // exact kind (eventCheck, eventProbe, ...)
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	// Limit keeps the newest Limit matches (0: all).
	Limit int
}

// Query returns the matching events, oldest first.
func (l *eventRing) Query(q eventQuery) []timelineEvent {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := len(l.ring)
	start := 0
	if n == cap(l.ring) {
		start = l.next
	}
	var out []timelineEvent
	for i := 0; i < n; i++ {
		e := l.ring[(start+i)%n]
		if q.Component != "" && e.Component != q.Component ||
			q.Kind != "" && e.Kind != q.Kind ||
			!q.Since.IsZero() && e.Time.Before(q.Since) ||
			!q.Until.IsZero() && !e.Time.Before(q.Until) {
			continue
		}
		out = append(out, e)
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	// Callers get their own attribute maps: the ring's are shared by
	// every reader.
	for i := range out {
		out[i].Attrs = maps.Clone(out[i].Attrs)
	}
	return out
}

// errBadQuery is wrapped by parseEventQuery errors.
var errBadQuery = errors.New("bad event query")

// maxEventQueryLimit bounds the limit a caller may ask for.
const maxEventQueryLimit = 10000

// parseEventQuery reads component, kind, since, until (RFC 3339) and limit
// from URL query values.
func parseEventQuery(get func(string) string) (eventQuery, error) {
	q := eventQuery{Component: get("component"), Kind: get("kind")}
	if len(q.Component) > 256 || len(q.Kind) > 64 {
		return q, fmt.Errorf("%w: component or kind too long", errBadQuery)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if v := get(f.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return q, fmt.Errorf("%w: %s: want RFC 3339, got %q", errBadQuery, f.name, truncate(v, 64))
			}
			*f.dst = t
		}
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxEventQueryLimit {
			return q, fmt.Errorf("%w: limit: want 0..%d, got %q", errBadQuery, maxEventQueryLimit, truncate(v, 64))
		}
		q.Limit = n
	}
	return q, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// handler serves the log; public drops the attributes that carry error
// text, operator reasons and evidence.
func (l *eventRing) handler(public bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		vals := r.URL.Query()
		q, err := parseEventQuery(vals.Get)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		events := l.Query(q)
		if public {
			for i := range events {
				events[i].Message, _ = withheld(events[i])
				events[i].Attrs = publicAttrs(events[i].Attrs)
			}
		}
		if events == nil {
			events = []timelineEvent{}
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodHead {
			return
		}
		_ = json.NewEncoder(w).Encode(struct {
			Events []timelineEvent `json:"events"`
		}{events})
	})
}

// publicAttrs drops the attributes only authorized callers may see.
func publicAttrs(a map[string]string) map[string]string {
	if len(a) == 0 {
		return a
	}
	out := make(map[string]string, len(a))
	for k, v := range a {
		switch k {
		case "error", "reason", "evidence", "by", "created_by":
		default:
			out[k] = v
		}
	}
	return out
}

// withheld splits an event's message into what anyone may read and the
// detail only authorized callers get. Error text and what operators typed
// (override reasons, silence comments) end the message after ": " and are
// also the "error" or "reason" attribute; they are cut off the message.
func withheld(e timelineEvent) (message, detail string) {
	message = e.Message
	for _, k := range []string{"error", "reason"} {
		v := e.Attrs[k]
		if v == "" {
			continue
		}
		if msg, ok := strings.CutSuffix(message, ": "+v); ok {
			message = msg
		} else if e.Attrs["from"] != "" {
			// The log redacts the message and the attribute apart; if
			// they no longer line up, say only what changed.
			message = fmt.Sprintf("check %s: %s → %s", e.Component, e.Attrs["from"], e.Attrs["to"])
		} else {
			message = e.Kind + " " + e.Component
		}
		return message, v
	}
	return message, ""
}
