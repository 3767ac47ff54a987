// Package deliveryerr is how a notifier tells the dispatcher whether and
// when to retry: a permanent failure is not retried, a server-requested
// wait (429, Retry-After) is honoured. The notifiers of alerting/notify
// classify HTTP answers with HTTPStatusError; the dispatcher reads the
// verdict with Classify.
package deliveryerr

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrPermanent marks delivery failures that retrying cannot fix
// (dispatch.ErrPermanent is this value).
var ErrPermanent = errors.New("permanent delivery failure")

// Error carries how a failed delivery should be retried.
type Error struct {
	Err        error
	Permanent  bool
	RetryAfter time.Duration // server-requested wait (429, Retry-After)
	StatusCode int           // HTTP status when there was one
}

// Error returns the cause's text.
func (e *Error) Error() string {
	if e.Err == nil {
		return "delivery failed"
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrPermanent) hold for permanent failures.
func (e *Error) Is(target error) bool { return target == ErrPermanent && e.Permanent }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &Error{Err: err, Permanent: true} }

// WithRetryAfter asks the delivery loop to wait at least d before retrying.
func WithRetryAfter(err error, d time.Duration) error { return &Error{Err: err, RetryAfter: d} }

// HTTPStatusError classifies an HTTP answer the way every notifier does:
// 429 and 5xx (and 408) are retried, honouring Retry-After; 400, 401, 403,
// 404, 410 and other 4xx are permanent. what names the provider; body is a
// short excerpt of the answer (it must not echo secrets).
func HTTPStatusError(what string, resp *http.Response, body string, now time.Time) error {
	code := resp.StatusCode
	err := fmt.Errorf("%s: HTTP %d", what, code)
	if body != "" {
		err = fmt.Errorf("%s: HTTP %d: %s", what, code, body)
	}
	de := &Error{Err: err, StatusCode: code}
	switch {
	case code == http.StatusTooManyRequests || code >= 500 || code == http.StatusRequestTimeout:
		de.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	default:
		de.Permanent = true
	}
	return de
}

// ParseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3) given as
// delay-seconds ("120") or as an HTTP date in any of the three formats
// http.ParseTime knows ("Wed, 21 Oct 2026 07:28:00 GMT"), relative to now.
// Anything unreadable, negative or in the past is 0 (retry on the normal
// backoff); absurd values are capped at a day rather than overflowing.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	const maxRetryAfter = 24 * time.Hour
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s >= int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// Classify reads how err asks to be retried: permanent when it wraps
// ErrPermanent, and the server-requested wait when there is one.
func Classify(err error) (permanent bool, retryAfter time.Duration) {
	var de *Error
	if errors.As(err, &de) {
		return de.Permanent || errors.Is(de.Err, ErrPermanent), de.RetryAfter
	}
	return errors.Is(err, ErrPermanent), 0
}
