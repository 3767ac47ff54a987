package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/redact"
)

// HistorySource is implemented by a [Source] that also keeps history: the
// handler then serves history.json and the page draws charts and uptime
// bars. History returns every component's figures over the span ending
// now; a span it does not offer (see History.Ranges) is an error wrapping
// ErrInvalid. It must be safe for concurrent use.
type HistorySource interface {
	History(ctx context.Context, span time.Duration) (History, error)
}

// History is what the charts and uptime bars show for one range. Points
// are evenly spaced: point i is at Start + i·Step and its figures cover
// the Window ending there (Window is Step, or longer when the finest
// resolution reads the status window every cycle). Every viewer gets the
// same history: it holds statuses and numbers, as the public snapshot
// does, never details.
type History struct {
	Range  time.Duration
	Step   time.Duration
	Window time.Duration
	Start  time.Time
	Points int
	// Ranges are the spans offered; 7 d and 30 d only when Durable.
	Ranges []time.Duration
	// Durable is set when history survives restarts.
	Durable    bool
	Components []ComponentHistory
}

// ComponentHistory is one component's series, oldest point first, with
// NaN where nothing was measured. Latencies are in seconds, ErrorRate a
// ratio 0..1, RequestRate calls per second. Status holds the worst status
// of each point's interval ("" when the component was not seen).
type ComponentHistory struct {
	ID          string
	RequestRate []float64
	ErrorRate   []float64
	P50         []float64
	P95         []float64
	Status      []Status
	// Alerts are the firing spans of the alerts about the component that
	// overlap the range; To is zero while the alert still fires.
	Alerts []AlertSpan
	// Uptime is the bar: consecutive segments coloured by the worst status
	// in each, with the reason that status was given for.
	Uptime []UptimeSegment
	// UptimePct maps "24h", "7d" and "30d" to the share of known time the
	// component was not failing, for the spans history covers.
	UptimePct map[string]float64
}

// AlertSpan is an interval during which an alert about a component fired.
type AlertSpan struct {
	Name     string    `json:"name"`
	Severity string    `json:"severity,omitempty"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to,omitzero"`
}

// UptimeSegment is one segment of an uptime bar.
type UptimeSegment struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Status Status    `json:"status"`
	Reason string    `json:"reason,omitempty"`
}

// maxHistoryComponents bounds what one history.json carries.
const maxHistoryComponents = 5000

type historyJSON struct {
	RangeSeconds  num                    `json:"rangeSeconds"`
	StepSeconds   num                    `json:"stepSeconds"`
	WindowSeconds num                    `json:"windowSeconds"`
	Start         time.Time              `json:"start"`
	Points        int                    `json:"points"`
	Ranges        []string               `json:"ranges"`
	Durable       bool                   `json:"durable"`
	Components    []componentHistoryJSON `json:"components"`
}

type componentHistoryJSON struct {
	ID          string          `json:"id"`
	RequestRate []num           `json:"requestRate"`
	ErrorRate   []num           `json:"errorRate"`
	P50         []num           `json:"p50"`
	P95         []num           `json:"p95"`
	Status      string          `json:"status"` // one letter per point: p, w, f, u, or - (not seen)
	Alerts      []AlertSpan     `json:"alerts"`
	Uptime      []UptimeSegment `json:"uptime"`
	UptimePct   map[string]num  `json:"uptimePct,omitempty"`
}

// rangeName spells a range as the query parameter does: "15m", "24h", "7d".
func rangeName(d time.Duration) string {
	switch {
	case d > 24*time.Hour && d%(24*time.Hour) == 0:
		return itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return itoa(int(d/time.Hour)) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return itoa(int(d/time.Minute)) + "m"
	}
	return itoa(int(d/time.Second)) + "s"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func statusLetter(s Status) byte {
	switch s {
	case StatusPass:
		return 'p'
	case StatusWarn:
		return 'w'
	case StatusFail:
		return 'f'
	case StatusUnknown:
		return 'u'
	}
	return '-'
}

// encodeHistory prepares a history for the page: reasons redacted, sizes
// bounded, NaN as null.
func encodeHistory(h History) ([]byte, error) {
	out := historyJSON{
		RangeSeconds: num(h.Range.Seconds()), StepSeconds: num(h.Step.Seconds()), WindowSeconds: num(h.Window.Seconds()),
		Start: h.Start, Points: h.Points, Durable: h.Durable,
		Ranges: make([]string, 0, len(h.Ranges)), Components: make([]componentHistoryJSON, 0, len(h.Components)),
	}
	for _, r := range h.Ranges {
		out.Ranges = append(out.Ranges, rangeName(r))
	}
	for i, c := range h.Components {
		if i >= maxHistoryComponents {
			break
		}
		st := make([]byte, len(c.Status))
		for j, s := range c.Status {
			st[j] = statusLetter(s)
		}
		cj := componentHistoryJSON{ID: c.ID, RequestRate: nums(c.RequestRate), ErrorRate: nums(c.ErrorRate),
			P50: nums(c.P50), P95: nums(c.P95), Status: string(st), Alerts: c.Alerts, Uptime: make([]UptimeSegment, len(c.Uptime))}
		if cj.Alerts == nil {
			cj.Alerts = []AlertSpan{}
		}
		for j, u := range c.Uptime {
			if !u.Status.valid() {
				u.Status = StatusUnknown
			}
			u.Reason = redact.String(u.Reason)
			cj.Uptime[j] = u
		}
		if len(c.UptimePct) > 0 {
			cj.UptimePct = make(map[string]num, len(c.UptimePct))
			for k, v := range c.UptimePct {
				cj.UptimePct[k] = num(v)
			}
		}
		out.Components = append(out.Components, cj)
	}
	return json.Marshal(out)
}

// parseRange reads the range query parameter ("15m" by default) and
// checks it is one the source offers.
func parseRange(q string, offered []time.Duration) (time.Duration, bool) {
	if q == "" {
		q = "15m"
	}
	if len(q) > 8 {
		return 0, false
	}
	for _, r := range offered {
		if rangeName(r) == q {
			return r, true
		}
	}
	return 0, false
}

// historyRanges are the spans the handler accepts before asking the
// source, so that a junk parameter never reaches it.
var historyRanges = []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// serveHistory answers history.json?range=15m|1h|6h|24h|7d|30d. Every
// viewer gets the same body: history carries no details (see History).
func (h *Handler) serveHistory(w http.ResponseWriter, r *http.Request) {
	hs, ok := h.src.(HistorySource)
	if !ok {
		writeError(w, http.StatusNotFound, "no history")
		return
	}
	span, ok := parseRange(r.URL.Query().Get("range"), historyRanges)
	if !ok {
		writeError(w, http.StatusBadRequest, "range must be one of 15m, 1h, 6h, 24h, 7d, 30d")
		return
	}
	body, err := h.historyBody(r.Context(), hs, span)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			writeError(w, http.StatusBadRequest, "range not offered (7d and 30d need durable history)")
			return
		}
		writeError(w, http.StatusServiceUnavailable, "history unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(body)
}

// historyCache shares each range's encoded history between viewers for
// the same time as the public snapshot: every viewer gets the same body.
type historyCache struct {
	mu      sync.Mutex
	entries map[time.Duration]historyEntry
}

type historyEntry struct {
	at   time.Time
	body []byte
}

// historyBody returns the encoded history of span, from the cache when
// fresh.
func (h *Handler) historyBody(ctx context.Context, hs HistorySource, span time.Duration) ([]byte, error) {
	now := h.cfg.clock.Now()
	c := &h.histCache
	c.mu.Lock()
	if e, ok := c.entries[span]; ok && now.Sub(e.at) < h.cache.ttl && !now.Before(e.at) {
		c.mu.Unlock()
		return e.body, nil
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, h.cfg.timeout)
	defer cancel()
	hist, err := hs.History(ctx, span)
	if err != nil {
		if !errors.Is(err, ErrInvalid) {
			h.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "dashboard: history failed", slog.String("error", redact.Error(err)))
		}
		return nil, err
	}
	body, err := encodeHistory(hist)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[time.Duration]historyEntry{}
	}
	c.entries[span] = historyEntry{at: now, body: body}
	c.mu.Unlock()
	return body, nil
}
