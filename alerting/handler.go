package alerting

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jackcode/igmon/internal/redact"
)

// Authorizer decides whether a request may change silences. It returns nil
// to allow; the error text is not shown to the caller.
type Authorizer func(r *http.Request) error

// HandlerOption configures NewHandler.
type HandlerOption func(*handler)

// WithAuthorizer lets requests that a passes create and expire silences.
// Without it the write endpoints answer 403: silencing pages is not
// something an anonymous request may do.
func WithAuthorizer(a Authorizer) HandlerOption { return func(h *handler) { h.auth = a } }

type handler struct {
	ev   *Evaluator
	sil  *Silences
	auth Authorizer
	disp *Dispatcher // WithDispatcher; read by the API v2 routes
	mux  *http.ServeMux
}

// NewHandler serves alert states and silences as JSON, relative to where it
// is mounted (use http.StripPrefix):
//
//	GET    /              {"alerts": [...], "silences": [...]}
//	GET    /alerts        {"alerts": [...]}
//	GET    /silences      {"silences": [...]}
//	POST   /silences      {"matchers": ["team=\"payments\""], "endsAt": "…" | "duration": "2h",
//	                       "createdBy": "ana", "comment": "PSP maintenance"} → 201 {"id": "…"}
//	                      (matchers may also be written team=payments, or as
//	                       Alertmanager API v2 objects {"name","value","isRegex","isEqual"})
//	DELETE /silences/{id}?by=ana
//
// It also serves Alertmanager's API v2 (the shapes of Alertmanager's
// api/v2/openapi.yaml), so amtool and Grafana's Alertmanager data source
// can read alerts and manage silences:
//
//	GET    /api/v2/status
//	GET    /api/v2/receivers
//	GET    /api/v2/alerts                ?filter=&active=&silenced=&inhibited=&unprocessed=&receiver=
//	GET    /api/v2/alerts/groups         (same parameters; needs WithDispatcher)
//	GET    /api/v2/silences              ?filter=
//	POST   /api/v2/silences              postableSilence → 200 {"silenceID": "…"}
//	GET    /api/v2/silence/{silenceID}
//	DELETE /api/v2/silence/{silenceID}
//
// ev or sil may be nil when the process has no evaluator or no pipeline.
func NewHandler(ev *Evaluator, sil *Silences, opts ...HandlerOption) http.Handler {
	h := &handler{ev: ev, sil: sil, mux: http.NewServeMux()}
	for _, o := range opts {
		o(h)
	}
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("GET /alerts", h.alerts)
	h.mux.HandleFunc("GET /silences", h.silences)
	h.mux.HandleFunc("POST /silences", h.addSilence)
	h.mux.HandleFunc("DELETE /silences/{id}", h.expireSilence)

	h.mux.HandleFunc("GET /api/v2/status", h.amStatus)
	h.mux.HandleFunc("GET /api/v2/receivers", h.amReceivers)
	h.mux.HandleFunc("GET /api/v2/alerts", h.amAlerts)
	h.mux.HandleFunc("GET /api/v2/alerts/groups", h.amAlertGroups)
	h.mux.HandleFunc("GET /api/v2/silences", h.amSilences)
	h.mux.HandleFunc("POST /api/v2/silences", h.amPostSilence)
	h.mux.HandleFunc("GET /api/v2/silence/{silenceID}", h.amSilence)
	h.mux.HandleFunc("DELETE /api/v2/silence/{silenceID}", h.amDeleteSilence)
	return h.mux
}

func (h *handler) alertList() []Alert {
	if h.ev == nil {
		return []Alert{}
	}
	return h.ev.Alerts()
}

func (h *handler) silenceList() []Silence {
	if h.sil == nil {
		return []Silence{}
	}
	return h.sil.List()
}

func (h *handler) index(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"alerts": h.alertList(), "silences": h.silenceList()})
}

func (h *handler) alerts(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"alerts": h.alertList()})
}

func (h *handler) silences(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"silences": h.silenceList()})
}

func (h *handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if h.sil == nil {
		writeError(w, http.StatusNotFound, errors.New("silences are not enabled"))
		return false
	}
	if h.auth == nil {
		writeError(w, http.StatusForbidden, errors.New("silence changes need an authorizer (alerting.WithAuthorizer)"))
		return false
	}
	if err := h.auth(r); err != nil {
		writeError(w, http.StatusForbidden, errors.New("not authorized"))
		return false
	}
	return true
}

type silenceRequest struct {
	Matchers  []json.RawMessage `json:"matchers"`
	StartsAt  time.Time         `json:"startsAt"`
	EndsAt    time.Time         `json:"endsAt"`
	Duration  string            `json:"duration"`
	CreatedBy string            `json:"createdBy"`
	Comment   string            `json:"comment"`
}

func (h *handler) addSilence(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	var req silenceRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("invalid JSON: %w", err))
		return
	}
	s := Silence{StartsAt: req.StartsAt, EndsAt: req.EndsAt, CreatedBy: req.CreatedBy, Comment: req.Comment}
	for i, raw := range req.Matchers {
		mt, err := parseSilenceMatcher(raw)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("matchers[%d]: %w", i, err))
			return
		}
		s.Matchers = append(s.Matchers, mt)
	}
	if req.Duration != "" {
		d, err := ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("duration: invalid %q", req.Duration))
			return
		}
		start := s.StartsAt
		if start.IsZero() {
			start = h.sil.clock.Now()
		}
		s.EndsAt = start.Add(d)
	}
	id, err := h.sil.Add(s)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

// amMatcher is a matcher as Alertmanager's API v2 writes it in a
// postable silence.
type amMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual *bool  `json:"isEqual"` // absent means true, as in Alertmanager
}

// parseSilenceMatcher reads one element of a silence's matchers: either
// text (`team="payments"`, `team=payments`, `alertname=~"PSP.*"`) or an
// Alertmanager API v2 object ({"name","value","isRegex","isEqual"}), so
// scripts written for Alertmanager work unchanged.
func parseSilenceMatcher(raw json.RawMessage) (*Matcher, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		var m Matcher
		if err := m.UnmarshalText([]byte(text)); err != nil {
			return nil, err
		}
		return &m, nil
	}
	var am amMatcher
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&am); err != nil {
		return nil, fmt.Errorf("%w: want a matcher string or {\"name\", \"value\", \"isRegex\", \"isEqual\"}", ErrSyntax)
	}
	t := MatchEqual
	switch equal := am.IsEqual == nil || *am.IsEqual; {
	case am.IsRegex && equal:
		t = MatchRegexp
	case am.IsRegex:
		t = MatchNotRegexp
	case !equal:
		t = MatchNotEqual
	}
	return NewMatcher(t, am.Name, am.Value)
}

func (h *handler) expireSilence(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		writeError(w, http.StatusBadRequest, errors.New("by: say who expires the silence"))
		return
	}
	if err := h.sil.Expire(r.PathValue("id"), by); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ErrSilenceNotFound) {
			code = http.StatusNotFound
		}
		writeError(w, code, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": redact.Error(err)})
}
