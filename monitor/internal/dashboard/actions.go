package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackcode/igmon/internal/redact"
)

// Limits on action requests. They are generous for people and small for
// anything else.
const (
	maxActionBody = 16 << 10
	maxMatchers   = 16
	maxIDLen      = 128
	maxValueLen   = 256
	maxTextLen    = 1024
	// MaxSilence is the longest silence the page can create; longer ones
	// are forgotten, not temporary.
	MaxSilence = 30 * 24 * time.Hour
	// MinSilence is the shortest silence the page can create.
	MinSilence = time.Minute
)

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.]*$`)

// silenceBody is the JSON an operator posts to /api/silences.
type silenceBody struct {
	Matchers []Matcher `json:"matchers"`
	Duration string    `json:"duration"` // Go duration: "30m", "2h"
	Author   string    `json:"author"`
	Comment  string    `json:"comment"`
}

type idBody struct {
	ID string `json:"id"`
}

type overrideBody struct {
	Component string `json:"component"`
	Status    Status `json:"status"`
	Reason    string `json:"reason"`
}

type clearBody struct {
	Component string `json:"component"`
	Reason    string `json:"reason"`
}

// decodeStrict decodes exactly one JSON object with no unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrInvalid)
	}
	return nil
}

// checkText validates free text a person typed: valid UTF-8, no control
// characters (they forge log lines), at most max bytes.
func checkText(field, s string, max int, required bool) error {
	switch {
	case required && s == "":
		return fmt.Errorf("%w: %s is required", ErrInvalid, field)
	case len(s) > max:
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalid, field, max)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s contains control characters", ErrInvalid, field)
		}
	}
	return nil
}

// parseSilence validates a silence request; the silence starts at now.
func parseSilence(body []byte, now time.Time) (SilenceRequest, error) {
	var b silenceBody
	if err := decodeStrict(body, &b); err != nil {
		return SilenceRequest{}, err
	}
	if len(b.Matchers) == 0 || len(b.Matchers) > maxMatchers {
		return SilenceRequest{}, fmt.Errorf("%w: matchers: need 1 to %d", ErrInvalid, maxMatchers)
	}
	selective := false
	for i, m := range b.Matchers {
		if !labelName.MatchString(m.Name) || len(m.Name) > maxIDLen {
			return SilenceRequest{}, fmt.Errorf("%w: matchers[%d].name %q is not a label name", ErrInvalid, i, m.Name)
		}
		if err := checkText(fmt.Sprintf("matchers[%d].value", i), m.Value, maxValueLen, false); err != nil {
			return SilenceRequest{}, err
		}
		switch m.Op {
		case "=", "!=":
		case "=~", "!~":
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return SilenceRequest{}, fmt.Errorf("%w: matchers[%d].value: %v", ErrInvalid, i, err)
			}
		default:
			return SilenceRequest{}, fmt.Errorf("%w: matchers[%d].op %q: want =, !=, =~ or !~", ErrInvalid, i, m.Op)
		}
		if (m.Op == "=" || m.Op == "=~") && m.Value != "" && m.Value != ".*" {
			selective = true
		}
	}
	if !selective {
		// Alertmanager's rule too: a silence must not mute everything.
		return SilenceRequest{}, fmt.Errorf("%w: matchers: at least one must select a non-empty value with = or =~", ErrInvalid)
	}
	d, err := time.ParseDuration(b.Duration)
	if err != nil {
		return SilenceRequest{}, fmt.Errorf("%w: duration: %v", ErrInvalid, err)
	}
	if d < MinSilence || d > MaxSilence {
		return SilenceRequest{}, fmt.Errorf("%w: duration %v is outside [%v, %v]", ErrInvalid, d, MinSilence, MaxSilence)
	}
	if err := checkText("comment", b.Comment, maxTextLen, true); err != nil {
		return SilenceRequest{}, err
	}
	if err := checkText("author", b.Author, maxIDLen, false); err != nil {
		return SilenceRequest{}, err
	}
	return SilenceRequest{
		Matchers: b.Matchers,
		StartsAt: now,
		EndsAt:   now.Add(d),
		Author:   b.Author,
		Comment:  b.Comment,
	}, nil
}

// parseSilenceID validates a request to expire a silence.
func parseSilenceID(body []byte) (string, error) {
	var b idBody
	if err := decodeStrict(body, &b); err != nil {
		return "", err
	}
	if err := checkText("id", b.ID, maxIDLen, true); err != nil {
		return "", err
	}
	return b.ID, nil
}

// parseOverride validates a request to override a component's status.
func parseOverride(body []byte) (overrideBody, error) {
	var b overrideBody
	if err := decodeStrict(body, &b); err != nil {
		return b, err
	}
	if err := checkText("component", b.Component, maxIDLen, true); err != nil {
		return b, err
	}
	if b.Status != StatusFail && b.Status != StatusPass {
		return b, fmt.Errorf("%w: status %q: want fail (maintenance) or pass", ErrInvalid, b.Status)
	}
	if err := checkText("reason", b.Reason, maxTextLen, true); err != nil {
		return b, err
	}
	return b, nil
}

// parseClearOverride validates a request to clear an override.
func parseClearOverride(body []byte) (clearBody, error) {
	var b clearBody
	if err := decodeStrict(body, &b); err != nil {
		return b, err
	}
	if err := checkText("component", b.Component, maxIDLen, true); err != nil {
		return b, err
	}
	if err := checkText("reason", b.Reason, maxTextLen, true); err != nil {
		return b, err
	}
	return b, nil
}

// actionFunc carries out one action on a parsed body and returns what to
// log about it and the response.
type actionFunc func(ctx context.Context, body []byte) (attrs []slog.Attr, resp any, err error)

// action wraps an action with the checks every action needs, in order:
// cross-origin protection, actions enabled, authorization, JSON content
// type, bounded body. Every outcome is logged with the remote address.
func (h *Handler) action(name string, fn actionFunc) http.Handler {
	logRefusal := func(r *http.Request, code int, why string) {
		h.cfg.logger.LogAttrs(r.Context(), slog.LevelWarn, "dashboard action refused",
			slog.String("action", name), slog.Int("code", code), slog.String("why", why), remote(r))
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case h.cfg.actions == nil:
			logRefusal(r, http.StatusNotImplemented, "actions not enabled")
			writeError(w, http.StatusNotImplemented, "actions are not enabled")
			return
		case h.cfg.authorize == nil:
			logRefusal(r, http.StatusForbidden, "no authorizer configured")
			writeError(w, http.StatusForbidden, "actions need an authorizer")
			return
		case !h.cfg.authorize(r):
			logRefusal(r, http.StatusUnauthorized, "not authorized")
			w.Header().Set("WWW-Authenticate", `Bearer realm="igmon"`)
			writeError(w, http.StatusUnauthorized, "not authorized")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			logRefusal(r, http.StatusUnsupportedMediaType, "content type is not application/json")
			writeError(w, http.StatusUnsupportedMediaType, "send application/json")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActionBody))
		if err != nil {
			logRefusal(r, http.StatusRequestEntityTooLarge, "body too large or unreadable")
			writeError(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		attrs, resp, err := fn(r.Context(), body)
		base := []slog.Attr{slog.String("action", name), remote(r)}
		if err != nil {
			code, msg := http.StatusInternalServerError, "action failed"
			switch {
			case errors.Is(err, ErrInvalid):
				// Our own validation messages name the field; they hold
				// no secrets but pass the redactor like any error text.
				code, msg = http.StatusBadRequest, redact.Error(err)
			case errors.Is(err, ErrNotFound):
				code, msg = http.StatusNotFound, "not found"
			}
			h.cfg.logger.LogAttrs(r.Context(), slog.LevelWarn, "dashboard action failed",
				append(append(base, attrs...), slog.Int("code", code), slog.String("error", redact.Error(err)))...)
			writeError(w, code, msg)
			return
		}
		h.cache.invalidate()
		h.cfg.logger.LogAttrs(r.Context(), slog.LevelInfo, "dashboard action", append(base, attrs...)...)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		b, _ := json.Marshal(resp)
		w.Write(b)
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logRefusal(r, http.StatusForbidden, "cross-origin request")
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	return cop.Handler(inner)
}

type okResponse struct {
	OK bool   `json:"ok"`
	ID string `json:"id,omitempty"`
}

func (h *Handler) createSilence(ctx context.Context, body []byte) ([]slog.Attr, any, error) {
	req, err := parseSilence(body, h.cfg.clock.Now())
	if err != nil {
		return nil, nil, err
	}
	ms := make([]string, len(req.Matchers))
	for i, m := range req.Matchers {
		ms[i] = m.Name + m.Op + fmt.Sprintf("%q", m.Value)
	}
	attrs := []slog.Attr{
		slog.Any("matchers", ms), slog.Time("ends_at", req.EndsAt),
		slog.String("author", req.Author), slog.String("comment", redact.String(req.Comment)),
	}
	id, err := h.cfg.actions.Silence(ctx, req)
	if err != nil {
		return attrs, nil, err
	}
	return append(attrs, slog.String("silence_id", id)), okResponse{OK: true, ID: id}, nil
}

func (h *Handler) deleteSilence(ctx context.Context, body []byte) ([]slog.Attr, any, error) {
	id, err := parseSilenceID(body)
	if err != nil {
		return nil, nil, err
	}
	attrs := []slog.Attr{slog.String("silence_id", id)}
	if err := h.cfg.actions.Unsilence(ctx, id); err != nil {
		return attrs, nil, err
	}
	return attrs, okResponse{OK: true, ID: id}, nil
}

func (h *Handler) setOverride(ctx context.Context, body []byte) ([]slog.Attr, any, error) {
	b, err := parseOverride(body)
	if err != nil {
		return nil, nil, err
	}
	attrs := []slog.Attr{slog.String("component", b.Component), slog.String("status", string(b.Status)),
		slog.String("reason", redact.String(b.Reason))}
	if err := h.cfg.actions.Override(ctx, b.Component, b.Status, b.Reason); err != nil {
		return attrs, nil, err
	}
	return attrs, okResponse{OK: true}, nil
}

func (h *Handler) clearOverride(ctx context.Context, body []byte) ([]slog.Attr, any, error) {
	b, err := parseClearOverride(body)
	if err != nil {
		return nil, nil, err
	}
	attrs := []slog.Attr{slog.String("component", b.Component), slog.String("reason", redact.String(b.Reason))}
	if err := h.cfg.actions.ClearOverride(ctx, b.Component, b.Reason); err != nil {
		return attrs, nil, err
	}
	return attrs, okResponse{OK: true}, nil
}
