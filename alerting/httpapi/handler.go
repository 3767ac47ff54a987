package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/internal/duration"
	"github.com/jackcode/igmon/internal/redact"
)

// Option configures NewHandler.
type Option interface{ apply(*handler) error }

// option is the one Option implementation: a name for errors and what it
// sets.
type option struct {
	name string
	set  func(*handler) error
}

func (o option) apply(h *handler) error {
	if h.given[o.name] {
		// A second one would silently replace the first.
		return fmt.Errorf("%s given more than once", o.name)
	}
	h.given[o.name] = true
	if err := o.set(h); err != nil {
		return fmt.Errorf("%s: %w", o.name, err)
	}
	return nil
}

// WithAuthorizer lets requests that authorize admits see details and
// create and expire silences: it decides whether a request is an
// operator's (one the handler shows annotations other than the summary,
// silence authors and comments to) and returns nil to admit; its error
// text is not shown to the caller. Without it every request is anonymous:
// reads withhold details and the write endpoints answer 403, as silencing
// pages is not something an anonymous request may do.
func WithAuthorizer(authorize func(r *http.Request) error) Option {
	return option{name: "WithAuthorizer", set: func(h *handler) error {
		if authorize == nil {
			return errors.New("nil function")
		}
		h.auth = authorize
		return nil
	}}
}

type handler struct {
	ev    *alerting.Evaluator
	disp  *dispatch.Dispatcher // read through dispatchview only
	sil   *dispatch.Silences   // the dispatcher's, nil without one
	auth  func(r *http.Request) error
	given map[string]bool // options applied, by name
	mux   *http.ServeMux
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
//	GET    /api/v2/alerts/groups         (same parameters; needs a dispatcher)
//	GET    /api/v2/silences              ?filter=
//	POST   /api/v2/silences              postableSilence → 200 {"silenceID": "…"}
//	GET    /api/v2/silence/{silenceID}
//	DELETE /api/v2/silence/{silenceID}
//
// One rule covers every route. Anyone may read, but only requests the
// authorizer (WithAuthorizer) admits see details: alert annotations other
// than the summary (descriptions, evidence, template errors) and silence
// authors, comments and who expired them. Free text is redacted
// (credentials in URLs, password= and the like) for everyone. Writes need
// the authorizer's admission, a Content-Type of application/json (415
// otherwise) and pass [net/http.CrossOriginProtection]: a browser request
// whose Sec-Fetch-Site or Origin names another site is refused with 403,
// as the dashboard refuses it. Clients that send neither header, such as
// amtool, curl and scripts, are not browsers and are let through to the
// authorizer. A DELETE, which has no body, may leave the content type out
// (amtool 0.31 sends none): a browser cannot send a cross-site DELETE
// without a CORS preflight, which this handler never answers; a DELETE
// that names another type is refused all the same. On POST
// /api/v2/silences these refusals answer 400 with the reason instead, the
// code amtool shows a message for (see writeAMRefusal).
//
// ev or d may be nil when the process has no evaluator or no pipeline.
// The alerts come from ev (else d); the silences from d's silence set,
// and the Alertmanager API's receivers, inhibition, maintenance windows
// and groups from d, read through a snapshot it copies under its lock.
// Without d there are no silences (the write routes answer 404), alerts
// list no receivers, are never shown as inhibited and
// /api/v2/alerts/groups is empty. An invalid option is an error wrapping
// alerting.ErrInvalidOption that names it.
func NewHandler(ev *alerting.Evaluator, d *dispatch.Dispatcher, opts ...Option) (http.Handler, error) {
	h := &handler{ev: ev, disp: d, given: map[string]bool{}, mux: http.NewServeMux()}
	if d != nil {
		h.sil = d.Silences()
	}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: httpapi.NewHandler: option #%d is nil", alerting.ErrInvalidOption, i)
		}
		if err := o.apply(h); err != nil {
			return nil, fmt.Errorf("%w: httpapi.NewHandler: %w", alerting.ErrInvalidOption, err)
		}
	}
	for _, rt := range h.routes() {
		pattern := rt.method + " " + rt.path
		if rt.read != nil {
			h.mux.Handle(pattern, h.serveRead(rt.read))
		} else {
			h.mux.Handle(pattern, h.serveWrite(rt.api, rt.write))
		}
	}
	return h.mux, nil
}

// api says whose conventions a route follows, which decides the shape of
// its error answers.
type api int

const (
	apiNative api = iota // {"error": "…"}
	apiAMv2              // a JSON string, as Alertmanager's go-swagger server answers
)

// readFunc answers a read: the status code and the body to encode, or a
// nil body for an answer without one. It must not write to the response
// itself: serveRead passes the body through disclose first.
type readFunc func(r *http.Request) (code int, body any)

// route is one route of the handler: exactly one of read and write is set.
type route struct {
	method, path string
	api          api
	read         readFunc
	write        http.HandlerFunc
}

// routes lists every route of the handler. NewHandler serves exactly these
// and the tests walk them, so a route added here is guarded (serveRead or
// serveWrite) and tested without further wiring.
func (h *handler) routes() []route {
	return []route{
		{method: "GET", path: "/{$}", read: h.index},
		{method: "GET", path: "/alerts", read: h.alerts},
		{method: "GET", path: "/silences", read: h.silences},
		{method: "POST", path: "/silences", write: h.addSilence},
		{method: "DELETE", path: "/silences/{id}", write: h.expireSilence},

		{method: "GET", path: "/api/v2/status", api: apiAMv2, read: h.amStatus},
		{method: "GET", path: "/api/v2/receivers", api: apiAMv2, read: h.amReceivers},
		{method: "GET", path: "/api/v2/alerts", api: apiAMv2, read: h.amAlerts},
		{method: "GET", path: "/api/v2/alerts/groups", api: apiAMv2, read: h.amAlertGroups},
		{method: "GET", path: "/api/v2/silences", api: apiAMv2, read: h.amSilences},
		{method: "POST", path: "/api/v2/silences", api: apiAMv2, write: h.amPostSilence},
		{method: "GET", path: "/api/v2/silence/{silenceID}", api: apiAMv2, read: h.amSilence},
		{method: "DELETE", path: "/api/v2/silence/{silenceID}", api: apiAMv2, write: h.amDeleteSilence},
	}
}

// admits reports whether r is an operator's: it may see details and act.
// It is the handler's only authorization decision.
func (h *handler) admits(r *http.Request) bool {
	return h.auth != nil && h.auth(r) == nil
}

// serveRead answers a read route through disclose, so what a caller sees
// depends on admits alone, whichever route it asked.
func (h *handler) serveRead(fn readFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body depends on the caller's credentials: no cache may
		// hand an operator's answer to someone else.
		w.Header().Add("Vary", "Authorization")
		code, body := fn(r)
		if body == nil {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(code)
			return
		}
		out, ok := disclose(body, h.admits(r))
		if !ok {
			// Fail closed: a body disclose does not know might carry
			// details. The route tests catch this before a release.
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "alerting: response not classified for disclosure"})
			return
		}
		writeJSON(w, code, out)
	})
}

// serveWrite guards a write route, in order: cross-origin protection,
// silences enabled, the authorizer's admission, a JSON content type.
// Only then does fn run.
func (h *handler) serveWrite(a api, fn http.HandlerFunc) http.Handler {
	fail := func(w http.ResponseWriter, r *http.Request, code int, msg string) {
		if a == apiAMv2 {
			writeAMRefusal(w, r, code, msg)
			return
		}
		writeError(w, code, errors.New(msg))
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case h.sil == nil:
			fail(w, r, http.StatusNotFound, "silences are not enabled")
		case h.auth == nil:
			fail(w, r, http.StatusForbidden, "silence changes need an authorizer (httpapi.WithAuthorizer)")
		case !h.admits(r):
			fail(w, r, http.StatusForbidden, "not authorized")
		case !isJSON(r) && !(r.Method == http.MethodDelete && r.Header.Get("Content-Type") == ""):
			// A cross-site form or a no-CORS fetch cannot send this
			// type without a preflight, which this handler never answers.
			fail(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		default:
			if err := checkWriteText(r); err != nil {
				fail(w, r, http.StatusBadRequest, err.Error())
				return
			}
			fn(w, r)
		}
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, http.StatusForbidden, "cross-origin request refused")
	}))
	return cop.Handler(inner)
}

// maxWriteBody is the most a write route reads of a request body.
const maxWriteBody = 64 << 10

// checkWriteText refuses a write whose query parameters or JSON body hold
// text that is not valid UTF-8, naming the parameter or the field. The
// JSON decoder would store such text with U+FFFD in place of the bad
// bytes, and an escaped lone surrogate ("\ud800") the same way, so this
// looks at the body as sent; Silences.Add and Silences.Expire check the
// decoded text (length, control characters) for every API. The body is
// left for the route to read.
func checkWriteText(r *http.Request) error {
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			if err := checkParam(k, v); err != nil {
				return err
			}
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWriteBody+1))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if len(body) > maxWriteBody {
		return nil // the route refuses a body it cannot read whole
	}
	if field, bad := badTextField(body); bad {
		return fmt.Errorf("%w: %s: not valid UTF-8", dispatch.ErrInvalidSilence, field)
	}
	return nil
}

// checkParam refuses a query parameter that is not valid UTF-8 or holds
// control characters (a forged line in a log), naming it. The silence set
// checks the length of the one it stores (by).
func checkParam(name, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s: not valid UTF-8", dispatch.ErrInvalidSilence, name)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s: contains control characters", dispatch.ErrInvalidSilence, name)
	}
	return nil
}

// badTextField reports whether a string in the JSON document body is not
// valid UTF-8 (raw bytes, or an escaped lone surrogate) and names it by
// its path (matchers[0].value). A body that is not JSON is left to the
// route's decoder.
func badTextField(body []byte) (string, bool) {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u`)) {
		return "", false // no bad byte and no escape that could decode to one
	}
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.object && f.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			case !f.object:
				fmt.Fprintf(&b, "[%d]", f.index)
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// valueDone moves the innermost container past the value just read.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		raw := body[prev:dec.InputOffset()]
		prev = dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
			// Every U+FFFD the decoder produced that the input did not
			// spell (raw or as \ufffd) stands for bad input.
			if strings.Count(t, "\uFFFD") > spelledFFFD(raw) {
				if isKey {
					stack[len(stack)-1].key = "" // name the object
				}
				return path(), true
			}
			if isKey {
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = t, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			return "", false
		}
	}
}

// spelledFFFD counts the U+FFFD characters raw JSON text spells, as UTF-8
// or as a \ufffd escape.
func spelledFFFD(raw []byte) int {
	n := bytes.Count(raw, []byte("\uFFFD"))
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+5 < len(raw) && raw[i+1] == 'u' && strings.EqualFold(string(raw[i+2:i+6]), "fffd") {
			n++
		}
		i++ // the escaped character
	}
	return n
}

func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// disclose is the one rule for what a read shows: detailed is true for
// requests the authorizer admits. Everyone gets free text redacted;
// callers not admitted get alert annotations cut to the summary and
// silences without author, comment or who expired them, as the dashboard
// shows them. It copies what it changes. ok is false for a body type it
// does not know, which serveRead refuses to send.
func disclose(body any, detailed bool) (out any, ok bool) {
	switch b := body.(type) {
	case string, amStatus, []amReceiver:
		// Error messages about the request, the status and receiver
		// names: nothing in them is for operators only.
		return b, true
	case map[string]any:
		m := make(map[string]any, len(b))
		for k, v := range b {
			if m[k], ok = disclose(v, detailed); !ok {
				return nil, false
			}
		}
		return m, true
	case []alerting.Alert:
		as := slices.Clone(b)
		for i := range as {
			as[i].Annotations = discloseAnnotations(as[i].Annotations, detailed)
		}
		return as, true
	case []dispatch.Silence:
		ss := slices.Clone(b)
		for i := range ss {
			ss[i].CreatedBy, ss[i].Comment, ss[i].ExpiredBy = discloseSilence(ss[i].CreatedBy, ss[i].Comment, ss[i].ExpiredBy, detailed)
		}
		return ss, true
	case []amGettableAlert:
		return discloseAMAlerts(b, detailed), true
	case []amAlertGroup:
		gs := slices.Clone(b)
		for i := range gs {
			gs[i].Alerts = discloseAMAlerts(gs[i].Alerts, detailed)
		}
		return gs, true
	case []amGettableSilence:
		ss := slices.Clone(b)
		for i := range ss {
			ss[i].CreatedBy, ss[i].Comment, _ = discloseSilence(ss[i].CreatedBy, ss[i].Comment, "", detailed)
		}
		return ss, true
	case amGettableSilence:
		b.CreatedBy, b.Comment, _ = discloseSilence(b.CreatedBy, b.Comment, "", detailed)
		return b, true
	}
	return nil, false
}

func discloseAMAlerts(as []amGettableAlert, detailed bool) []amGettableAlert {
	out := slices.Clone(as)
	for i := range out {
		out[i].Annotations = discloseAnnotations(out[i].Annotations, detailed)
		if out[i].Annotations == nil {
			out[i].Annotations = map[string]string{} // required by the spec
		}
	}
	return out
}

// discloseAnnotations returns a's redacted annotations for detailed
// callers, and only the redacted summary for the others: descriptions,
// evidence and template errors may quote error text.
func discloseAnnotations(a map[string]string, detailed bool) map[string]string {
	if !detailed {
		if sum, ok := a["summary"]; ok {
			return map[string]string{"summary": redact.String(sum)}
		}
		return nil
	}
	if a == nil {
		return nil
	}
	out := make(map[string]string, len(a))
	for k, v := range a {
		out[k] = redact.String(v)
	}
	return out
}

// discloseSilence returns a silence's author, comment and who expired it
// as a caller may see them: withheld from callers not admitted, the
// comment redacted for the others.
func discloseSilence(createdBy, comment, expiredBy string, detailed bool) (string, string, string) {
	if !detailed {
		return "", "", ""
	}
	return createdBy, redact.String(comment), expiredBy
}

func (h *handler) alertList() []alerting.Alert {
	if h.ev == nil {
		return []alerting.Alert{}
	}
	return h.ev.Alerts()
}

func (h *handler) silenceList() []dispatch.Silence {
	if h.sil == nil {
		return []dispatch.Silence{}
	}
	return h.sil.List()
}

func (h *handler) index(*http.Request) (int, any) {
	return http.StatusOK, map[string]any{"alerts": h.alertList(), "silences": h.silenceList()}
}

func (h *handler) alerts(*http.Request) (int, any) {
	return http.StatusOK, map[string]any{"alerts": h.alertList()}
}

func (h *handler) silences(*http.Request) (int, any) {
	return http.StatusOK, map[string]any{"silences": h.silenceList()}
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
	var req silenceRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("invalid JSON: %w", err))
		return
	}
	s := dispatch.Silence{StartsAt: req.StartsAt, EndsAt: req.EndsAt, CreatedBy: req.CreatedBy, Comment: req.Comment}
	for i, raw := range req.Matchers {
		mt, err := parseSilenceMatcher(raw)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("matchers[%d]: %w", i, err))
			return
		}
		s.Matchers = append(s.Matchers, mt)
	}
	if req.Duration != "" {
		d, err := duration.Parse(req.Duration)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("duration: invalid %q", req.Duration))
			return
		}
		start := s.StartsAt
		if start.IsZero() {
			start = h.now()
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
func parseSilenceMatcher(raw json.RawMessage) (*alerting.Matcher, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		var m alerting.Matcher
		if err := m.UnmarshalText([]byte(text)); err != nil {
			return nil, err
		}
		return &m, nil
	}
	var am amMatcher
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&am); err != nil {
		return nil, fmt.Errorf("%w: want a matcher string or {\"name\", \"value\", \"isRegex\", \"isEqual\"}", dispatch.ErrInvalidSilence)
	}
	t := alerting.MatchEqual
	switch equal := am.IsEqual == nil || *am.IsEqual; {
	case am.IsRegex && equal:
		t = alerting.MatchRegexp
	case am.IsRegex:
		t = alerting.MatchNotRegexp
	case !equal:
		t = alerting.MatchNotEqual
	}
	return alerting.NewMatcher(t, am.Name, am.Value)
}

func (h *handler) expireSilence(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	if by == "" {
		writeError(w, http.StatusBadRequest, errors.New("by: say who expires the silence"))
		return
	}
	if err := h.sil.Expire(r.PathValue("id"), by); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, dispatch.ErrSilenceNotFound) {
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
