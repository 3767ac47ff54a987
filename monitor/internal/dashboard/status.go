package dashboard

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/redact"
)

// snapshotCache shares one encoded public snapshot between viewers for
// ttl, so N open pages and a wall of badges cost one Source call per
// half-refresh instead of N. Detailed snapshots are never cached: they
// depend on who asks.
type snapshotCache struct {
	ttl time.Duration
	sem chan struct{} // held while one caller refills; waiters honour ctx

	mu   sync.Mutex
	at   time.Time
	snap Snapshot
	body []byte
}

func (c *snapshotCache) get(now time.Time) (Snapshot, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body == nil || now.Sub(c.at) >= c.ttl || now.Before(c.at) {
		return Snapshot{}, nil, false
	}
	return c.snap, c.body, true
}

func (c *snapshotCache) put(now time.Time, s Snapshot, body []byte) {
	c.mu.Lock()
	c.at, c.snap, c.body = now, s, body
	c.mu.Unlock()
}

// invalidate drops the cached snapshot so an action shows at the next
// refresh rather than up to a TTL later.
func (c *snapshotCache) invalidate() {
	c.mu.Lock()
	c.body = nil
	c.mu.Unlock()
}

// public returns the public snapshot and its JSON, from the cache when
// fresh. Concurrent misses wait for one Source call instead of each making
// their own.
func (h *Handler) public(ctx context.Context) (Snapshot, []byte, error) {
	if s, b, ok := h.cache.get(h.cfg.clock.Now()); ok {
		return s, b, nil
	}
	select {
	case h.cache.sem <- struct{}{}:
	case <-ctx.Done():
		return Snapshot{}, nil, ctx.Err()
	}
	defer func() { <-h.cache.sem }()
	if s, b, ok := h.cache.get(h.cfg.clock.Now()); ok {
		return s, b, nil
	}
	s, b, err := h.snapshot(ctx, false, false)
	if err != nil {
		return Snapshot{}, nil, err
	}
	h.cache.put(h.cfg.clock.Now(), s, b)
	return s, b, nil
}

// snapshot asks the Source and prepares the result for the viewer.
func (h *Handler) snapshot(ctx context.Context, detailed, canAct bool) (Snapshot, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.timeout)
	defer cancel()
	s, err := h.src.Snapshot(ctx, detailed)
	if err != nil {
		h.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "dashboard: snapshot failed",
			slog.String("error", redact.Error(err)))
		return Snapshot{}, nil, err
	}
	s = h.prepare(s, detailed, canAct)
	b, err := json.Marshal(s)
	if err != nil {
		h.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "dashboard: encode snapshot failed",
			slog.String("error", redact.Error(err)))
		return Snapshot{}, nil, err
	}
	return s, b, nil
}

// prepare withholds details from unauthorized viewers and redacts free
// text for everyone. The Source is asked to do both; the handler does them
// again because a leaked DSN on a status page is not a mistake to make
// twice. It copies what it changes so the Source may hand out shared
// slices and maps.
func (h *Handler) prepare(s Snapshot, detailed, canAct bool) Snapshot {
	s.Title = h.cfg.title
	s.Detailed = detailed
	s.CanAct = canAct
	s.Refresh = h.cfg.refresh
	if s.Generated.IsZero() {
		s.Generated = h.cfg.clock.Now()
	}
	worst := StatusPass
	groups := make([]Group, len(s.Groups))
	for gi, g := range s.Groups {
		comps := make([]Component, len(g.Components))
		for ci, c := range g.Components {
			if !c.Status.valid() {
				c.Status = StatusUnknown
			}
			if c.Status.rank() > worst.rank() {
				worst = c.Status
			}
			c.Summary = redact.String(c.Summary)
			if c.Override != nil {
				o := *c.Override
				if !o.Status.valid() {
					o.Status = StatusUnknown
				}
				o.Reason = redact.String(o.Reason)
				if !detailed {
					o.Reason = ""
				}
				c.Override = &o
			}
			if detailed {
				c.LastError = redact.String(c.LastError)
				c.Details = redactMap(c.Details)
			} else {
				c.LastError, c.LastErrorAt = "", time.Time{}
				c.Details = nil
			}
			comps[ci] = c
		}
		groups[gi] = Group{Name: g.Name, Components: comps}
	}
	s.Groups = groups
	s.Firing = nil
	for _, a := range s.Alerts {
		if a.State != AlertFiring || a.Silenced {
			continue
		}
		if s.Firing == nil {
			s.Firing = map[string]int{}
		}
		s.Firing[a.Severity]++
		if st := AlertStatus(a.Severity); st.rank() > worst.rank() {
			worst = st
		}
	}
	if !s.Status.valid() {
		s.Status = worst
		if len(groups) == 0 && s.Firing == nil {
			s.Status = StatusUnknown
		}
	}

	alerts := make([]Alert, len(s.Alerts))
	for i, a := range s.Alerts {
		if detailed {
			a.Annotations = redactMap(a.Annotations)
			ev := make([]string, len(a.Evidence))
			for j, e := range a.Evidence {
				ev[j] = redact.String(e)
			}
			a.Evidence = ev
		} else {
			a.Evidence = nil
			if sum, ok := a.Annotations["summary"]; ok {
				a.Annotations = map[string]string{"summary": redact.String(sum)}
			} else {
				a.Annotations = nil
			}
		}
		alerts[i] = a
	}
	s.Alerts = alerts

	silences := make([]Silence, len(s.Silences))
	for i, sl := range s.Silences {
		if detailed {
			sl.Comment = redact.String(sl.Comment)
		} else {
			sl.Author, sl.Comment = "", ""
		}
		silences[i] = sl
	}
	s.Silences = silences

	events := make([]Event, len(s.Events))
	for i, e := range s.Events {
		e.Message = redact.String(e.Message)
		if detailed {
			e.Detail = redact.String(e.Detail)
		} else {
			e.Detail = ""
		}
		events[i] = e
	}
	s.Events = events
	return s
}

// AlertStatus is what a firing alert of a severity means for the
// component it is about and for the page: "page" and "critical" fail it,
// any other severity degrades it.
func AlertStatus(severity string) Status {
	switch severity {
	case "page", "critical":
		return StatusFail
	}
	return StatusWarn
}

func redactMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = redact.String(v)
	}
	return out
}

// serveStatus answers status.json: the public snapshot, or the detailed
// one for authorized requests.
func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	var body []byte
	var err error
	if h.authorized(r) {
		_, body, err = h.snapshot(r.Context(), true, h.cfg.actions != nil)
	} else {
		_, body, err = h.public(r.Context())
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "snapshot unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The page polls with the Authorization header; shared caches must
	// not hand a detailed body to someone else.
	w.Header().Set("Vary", "Authorization")
	w.Write(body)
}

// writeError answers with a small JSON error. msg is fixed text chosen by
// the handler, never an error string from elsewhere.
func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Write(b)
}
